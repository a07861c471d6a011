import { TesseraError } from '../errors.js';

/** Longest email accepted (RFC 5321 path limit). */
const EMAIL_MAX_LENGTH = 254;

/**
 * Trims an email and checks its shape; returns the display form and the comparison key.
 * `field` names the body field in the error message (`email`, `newEmail`).
 */
export function normalizeEmail(email: unknown, field = 'email'): { email: string; emailNormalized: string } {
  if (typeof email !== 'string') throw new TesseraError('invalid_request', { message: `${field} must be a string.` });
  const trimmed = email.trim().normalize('NFC');
  // Deliberately loose: one @, something on each side, no spaces or controls. Deliverability
  // is for email verification to prove, not a regular expression.
  if (trimmed.length > EMAIL_MAX_LENGTH || !/^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u.test(trimmed)) {
    throw new TesseraError('invalid_request', { message: `${field} must be a valid email address.` });
  }
  return { email: trimmed, emailNormalized: trimmed.toLowerCase() };
}

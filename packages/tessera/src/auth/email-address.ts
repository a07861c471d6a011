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
  return { email: trimmed, emailNormalized: foldCase(trimmed) };
}

/**
 * The key by which Tessera compares emails, and stores find users (`UserRecord.emailNormalized`):
 * trimmed, NFC, lower case with Greek final sigma folded. It checks nothing: the sign-up and
 * sign-in paths refuse malformed addresses first.
 *
 * @example
 * ```ts
 * import { emailComparisonKey } from 'tessera'
 *
 * const user = await store.getUserByEmail(emailComparisonKey(' Ada@Example.COM ')) // looks up 'ada@example.com'
 * ```
 */
export function emailComparisonKey(email: string): string {
  return foldCase(email.trim().normalize('NFC'));
}

/**
 * The comparison key's case: lower case, with Greek final sigma (ς) folded to σ. JavaScript's
 * `toLowerCase()` applies the final-sigma rule, so `ΣΟΦΟΣ` became `σοφος` while `σοφοσ` stayed,
 * and one address in two cases made two accounts; Unicode case folding maps σ, ς and Σ alike.
 * The stores' migration 5 folds keys written before.
 */
function foldCase(email: string): string {
  return email.toLowerCase().replace(/\u03c2/g, '\u03c3');
}

import { TesseraError } from '../errors.js';
import { isCommonPassword } from './password-blocklist.js';

/**
 * Password rules of NIST SP 800-63B-4 §3.1.1.2 and the OWASP Authentication Cheat Sheet:
 * a minimum length, a generous maximum, a blocklist of common passwords, and nothing else.
 * There are deliberately no composition rules ("one digit, one symbol"): NIST says they
 * SHALL NOT be imposed, because they push users to predictable patterns (Password1!)
 * without adding real entropy.
 */

/**
 * Default maximum length, in Unicode code points. NIST asks that at least 64 be permitted;
 * 1024 leaves room for any passphrase while bounding the work one request can cause.
 */
export const PASSWORD_MAX_LENGTH_DEFAULT = 1024;

/** The smallest maximum a configuration may set (NIST SP 800-63B-4: SHOULD permit ≥ 64). */
const PASSWORD_MAX_LENGTH_FLOOR = 64;

/** Options of {@link checkPasswordPolicy} and {@link describePasswordPolicy}. */
export interface PasswordPolicyOptions {
  /**
   * Minimum length in code points. NIST SP 800-63B-4 asks for 15 when the password is the
   * only factor, and 8 when it is one factor of several.
   */
  minLength: number;
  /** Maximum length in code points; defaults to {@link PASSWORD_MAX_LENGTH_DEFAULT}. */
  maxLength?: number;
  /** The account's email: the password may be neither the email nor its local part. */
  email?: string;
}

/** What the UI can show next to a "new password" field: plain, serialisable data. */
export interface PasswordPolicyDescription {
  minLength: number;
  maxLength: number;
  /** Human-readable rules, one sentence each. */
  rules: string[];
}

/**
 * NFKC normalisation, applied before every check and before hashing (NIST SP 800-63B-4
 * §3.1.1.2: SHOULD apply NFKC or NFKD). Without it, the same password typed on two
 * keyboards or input methods (composed "é" vs "e" + combining accent, full-width digits, the
 * "ﬁ" ligature) would produce different bytes, and so a different hash.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Length in Unicode code points, as NIST requires (an emoji is one character, not two
 * UTF-16 units). Stops counting once `limit` is passed, so that an oversized input costs no
 * more than needed to refuse it.
 */
function codePointLength(text: string, limit: number): number {
  let count = 0;
  for (const _ of text) {
    count += 1;
    if (count > limit) break;
  }
  return count;
}

/** Lone UTF-16 surrogates (possible via JSON "\ud800"): not characters, and not encodable. */
const LONE_SURROGATE = /\p{Cs}/u;

function resolveLimits(options: PasswordPolicyOptions): { minLength: number; maxLength: number } {
  const minLength = options.minLength;
  const maxLength = options.maxLength ?? PASSWORD_MAX_LENGTH_DEFAULT;
  // A misconfiguration is a programming error, reported as such rather than as weak_password.
  if (!Number.isSafeInteger(minLength) || minLength < 1) {
    throw new RangeError('minLength must be a positive integer');
  }
  if (!Number.isSafeInteger(maxLength) || maxLength < Math.max(minLength, PASSWORD_MAX_LENGTH_FLOOR)) {
    throw new RangeError(`maxLength must be an integer ≥ minLength and ≥ ${PASSWORD_MAX_LENGTH_FLOOR}`);
  }
  return { minLength, maxLength };
}

function weak(message: string): TesseraError {
  return new TesseraError('weak_password', { message });
}

/** The email and its local part, normalised like the password, lower-cased. */
function emailForms(email: string): string[] {
  const full = normalizePassword(email.trim()).toLowerCase();
  if (full === '') return [];
  const at = full.lastIndexOf('@');
  const local = at > 0 ? full.slice(0, at) : '';
  return local === '' ? [full] : [full, local];
}

/**
 * Checks a new password against the policy and returns its normalised form, which is what
 * must be hashed. Throws `TesseraError('weak_password')` with a message that names the rule
 * but never repeats the input.
 *
 * Call it when a password is chosen (sign-up, change, reset), never at sign-in: a password
 * that was acceptable when set must keep working after the policy changes.
 *
 * @example
 * ```ts
 * const normalized = checkPasswordPolicy(input.password, { minLength: 15, email: input.email })
 * const passwordHash = await hasher.hash(normalized)
 * ```
 */
export function checkPasswordPolicy(password: string, options: PasswordPolicyOptions): string {
  const { minLength, maxLength } = resolveLimits(options);
  const normalized = normalizePassword(password);
  if (LONE_SURROGATE.test(normalized)) {
    throw weak('The password contains an invalid character.');
  }
  const length = codePointLength(normalized, maxLength);
  if (length < minLength) {
    throw weak(`The password must be at least ${minLength} characters long.`);
  }
  // Refused rather than truncated: NIST SHALL NOT truncate, and a silently truncated
  // password is weaker than the one the user believes they have.
  if (length > maxLength) {
    throw weak(`The password must be at most ${maxLength} characters long.`);
  }
  if (isCommonPassword(normalized)) {
    throw weak('This password is too common: it appears in lists of leaked passwords. Choose another.');
  }
  // Context-specific words (NIST SP 800-63B-4 §3.1.1.2): the email is the first thing an
  // attacker who knows the account will try.
  const lower = normalized.toLowerCase();
  if (options.email !== undefined && emailForms(options.email).includes(lower)) {
    throw weak('The password must not be your email address or a part of it.');
  }
  return normalized;
}

/**
 * The policy as data for a sign-up or password-change form, so that the UI states the same
 * rules the server enforces.
 */
export function describePasswordPolicy(options: PasswordPolicyOptions): PasswordPolicyDescription {
  const { minLength, maxLength } = resolveLimits(options);
  return {
    minLength,
    maxLength,
    rules: [
      `At least ${minLength} characters.`,
      `At most ${maxLength} characters.`,
      'Not a commonly used or leaked password.',
      'Not your email address.',
      'Any characters are allowed, including spaces and emoji; no mix of character types is required.',
    ],
  };
}

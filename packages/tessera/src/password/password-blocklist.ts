import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * The blocklist of NIST SP 800-63B-4 §3.1.1.2: a password that appears in a list of common
 * or breached passwords SHALL be refused, because it is the first thing an online guessing
 * attack (credential stuffing, password spraying) tries. The list is zxcvbn-ts's
 * `passwords-common` (~49k entries, lower-case).
 *
 * The Set is built on first use rather than at import time: processes that never check a
 * password (a worker that only verifies JWTs) pay nothing, and later checks are O(1).
 */
let blocklist: ReadonlySet<string> | undefined;

function getBlocklist(): ReadonlySet<string> {
  if (blocklist === undefined) {
    // Lower-cased again defensively so that a future list version with capitals still
    // matches the case-insensitive comparison below.
    blocklist = new Set(dictionary['passwords-common'].map((entry) => entry.toLowerCase()));
  }
  return blocklist;
}

/**
 * True when `normalizedPassword` (already NFKC-normalised) is, ignoring case, a whole entry
 * of the common-password list. Case is ignored because "PASSWORD" or "Password" are guessed
 * just as early as "password".
 */
export function isCommonPassword(normalizedPassword: string): boolean {
  return getBlocklist().has(normalizedPassword.toLowerCase());
}

/**
 * Strict base64url (RFC 4648 §5, no padding), as JWS compact serialisation requires
 * (RFC 7515 §2). Node's decoder is lenient: it accepts padding, the standard alphabet and
 * stray characters, so input is checked against the alphabet before decoding.
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Encodes bytes or a UTF-8 string as unpadded base64url. */
export function encodeBase64url(input: Uint8Array | string): string {
  return Buffer.from(input).toString('base64url');
}

/** True when `input` uses only the base64url alphabet and has a possible length. */
export function isBase64url(input: string): boolean {
  // A length of 1 mod 4 can never come from encoding whole bytes.
  return input.length % 4 !== 1 && BASE64URL.test(input);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * True when `input` is strict, canonical base64url: the alphabet, a possible length, and zero
 * bits past the last whole byte in the last character (2 characters carry 1 byte + 4 spare
 * bits, 3 carry 2 bytes + 2), so that two different strings never stand for the same bytes.
 * Checking the spare bits spares re-encoding a decoded result to compare.
 */
export function isCanonicalBase64url(input: string): boolean {
  if (!isBase64url(input)) return false;
  const rest = input.length % 4;
  if (rest === 0) return true;
  const last = ALPHABET.indexOf(input[input.length - 1]!);
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * Decodes strict base64url; returns null on padding, other alphabets, or non-canonical
 * trailing bits ({@link isCanonicalBase64url}).
 */
export function decodeBase64url(input: string): Buffer | null {
  return isCanonicalBase64url(input) ? Buffer.from(input, 'base64url') : null;
}

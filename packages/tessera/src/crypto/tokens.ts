import { createHmac, hash } from 'node:crypto';
import type { RandomSource } from '../clock.js';
import { encodeBase64url, isCanonicalBase64url } from './base64url.js';

/**
 * Opaque credentials (session cookies, refresh tokens) have the form `<id>.<secret>`:
 * the id (128 bits) finds the record with an indexed lookup, and the secret (256 bits) is
 * compared in constant time against the stored SHA-256 hash. Looking up by id rather than by
 * the hash keeps the secret out of any index or timing side channel of the store, and a
 * leaked database holds no usable credential.
 */

/** Bytes of a record id. */
export const ID_BYTES = 16;
/** Bytes of a credential secret: 256 bits, as the spec requires. */
export const SECRET_BYTES = 32;

const ID_LENGTH = Math.ceil((ID_BYTES * 4) / 3);
const SECRET_LENGTH = Math.ceil((SECRET_BYTES * 4) / 3);

/** A fresh random id (base64url). */
export function generateId(random: RandomSource): string {
  return encodeBase64url(random.bytes(ID_BYTES));
}

/** A fresh random secret (base64url). */
export function generateSecret(random: RandomSource): string {
  return encodeBase64url(random.bytes(SECRET_BYTES));
}

/**
 * SHA-256 of a secret, base64url: the only form in which secrets are stored. The one-shot
 * `hash()` (Node 20.12) costs about half of a `createHash()` object per call, and every
 * session cookie check pays one.
 */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}

/**
 * Constant-time comparison of two hashes (false when lengths differ). The hashes are
 * base64url text of equal, public length; every character is compared whatever the first
 * difference, with no data-dependent branch (XOR, OR-accumulated), as Lucia's and Oslo's
 * `constantTimeEqual` do. `timingSafeEqual` would need two Buffers per call: 3 % of the CPU of
 * a session-cookie `GET /auth/me` in the server's profile.
 */
export function hashesEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** Joins an id and a secret into the credential handed to the client. */
export function formatCredential(id: string, secret: string): string {
  return `${id}.${secret}`;
}

/**
 * Splits a credential into id and secret. Returns null for anything that is not exactly an
 * id and a secret of the generated lengths in canonical base64url: an attacker-chosen or
 * malformed value never reaches the store.
 */
export function parseCredential(credential: string): { id: string; secret: string } | null {
  if (credential.length !== ID_LENGTH + 1 + SECRET_LENGTH) return null;
  const id = credential.slice(0, ID_LENGTH);
  const secret = credential.slice(ID_LENGTH + 1);
  if (credential[ID_LENGTH] !== '.') return null;
  // The lengths are fixed above, so canonical base64url of them is exactly ID_BYTES and
  // SECRET_BYTES of data: checked without decoding (nothing here needs the bytes).
  if (!isCanonicalBase64url(id) || !isCanonicalBase64url(secret)) return null;
  return { id, secret };
}

/**
 * The successor of a refresh secret: HMAC-SHA256 under a server key. Deterministic, so that
 * the immediate predecessor presented again within the leeway gets the *same* successor
 * (parallel tabs) without storing any secret in plain text; keyed, so that holding an old
 * token does not let anyone compute the next one offline.
 */
export function deriveSuccessorSecret(serverKey: Uint8Array, secret: string): string {
  return createHmac('sha256', serverKey).update(secret).digest('base64url');
}

import { createHmac, sign, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * The four JWS algorithms Tessera signs and verifies (RFC 7518 §3, RFC 8037 §3.1), on
 * node:crypto KeyObjects. A key is bound to exactly one algorithm: callers take the algorithm
 * from the key, never from a token header, which closes algorithm confusion
 * (CVE-2015-9235 class: an HS256 token "signed" with an RSA public key) and `alg: none`.
 */

/** A JWS algorithm Tessera supports. */
export type JwsAlgorithm = 'EdDSA' | 'ES256' | 'RS256' | 'HS256';

/** Every supported algorithm. */
export const JWS_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(['EdDSA', 'ES256', 'RS256', 'HS256']);

/** True when `value` is exactly (case-sensitively) one of {@link JWS_ALGORITHMS}. */
export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return value === 'EdDSA' || value === 'ES256' || value === 'RS256' || value === 'HS256';
}

/** Bytes of an ES256 signature: R || S, 32 bytes each (RFC 7518 §3.4). */
const ES256_SIGNATURE_BYTES = 64;
/** Bytes of an HS256 signature (HMAC-SHA256 output). */
const HS256_SIGNATURE_BYTES = 32;
/** Bytes of an Ed25519 signature (RFC 8032 §5.1.6). */
const ED25519_SIGNATURE_BYTES = 64;
/** Smallest RSA modulus accepted (RFC 7518 §3.3 requires 2048 bits). */
const MIN_RSA_BITS = 2048;
/** Smallest HS256 secret accepted (RFC 7518 §3.2: at least the hash output size). */
const MIN_HMAC_BYTES = 32;

/** The order n of the P-256 group (SEC 2 §2.4.2), big-endian. */
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');

/**
 * True when both halves of an R || S signature lie in [1, n-1] (FIPS 186-4 §6.4.2 step 1).
 * OpenSSL already refuses r = s = 0, but the "psychic signature" bug (CVE-2022-21449) shows
 * why this check must not depend on the backend.
 */
export function es256ScalarsInRange(signature: Buffer): boolean {
  return scalarInRange(signature, 0) && scalarInRange(signature, 32);
}

/**
 * The 32-byte big-endian scalar at `offset` is in [1, n-1]. Read in place: two `subarray`
 * views and two `Buffer.compare` calls cost 2,200 instructions per ES256 token
 * (bench:verify-instructions). Signatures are public, so exiting early leaks nothing; and
 * as n starts with 0xff, the comparison almost always ends at the first byte.
 */
function scalarInRange(signature: Buffer, offset: number): boolean {
  let i = 0;
  while (i < 32 && signature[offset + i] === P256_ORDER[i]) i++;
  if (i === 32 || signature[offset + i]! > P256_ORDER[i]!) return false; // n itself, or above it
  for (let j = offset; j < offset + 32; j++) if (signature[j] !== 0) return true;
  return false; // zero
}

/**
 * Signs `data` with `key` under `alg`. The key must fit the algorithm
 * (see {@link assertKeyFitsAlgorithm}); ES256 signatures are produced as 64-byte R || S.
 */
export function signJws(alg: JwsAlgorithm, key: KeyObject, data: Uint8Array): Buffer {
  switch (alg) {
    case 'EdDSA':
      return sign(null, data, key);
    case 'ES256':
      return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return sign('sha256', data, key);
    case 'HS256':
      return createHmac('sha256', key).update(data).digest();
  }
}

/**
 * Verifies `signature` over `data` with `key` under `alg`. Returns false, never throws, for
 * any malformed signature: wrong length, DER instead of R || S, out-of-range scalars.
 */
export function verifyJws(alg: JwsAlgorithm, key: KeyObject, data: Uint8Array, signature: Buffer): boolean {
  try {
    switch (alg) {
      case 'EdDSA':
        return signature.length === ED25519_SIGNATURE_BYTES && verify(null, data, key, signature);
      case 'ES256':
        // JWS mandates R || S (RFC 7518 §3.4); a DER signature is refused by its length alone.
        return (
          signature.length === ES256_SIGNATURE_BYTES &&
          es256ScalarsInRange(signature) &&
          verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
        );
      case 'RS256':
        // OpenSSL refuses a signature whose length differs from the modulus size.
        return verify('sha256', data, key, signature);
      case 'HS256': {
        if (signature.length !== HS256_SIGNATURE_BYTES) return false;
        const expected = createHmac('sha256', key).update(data).digest();
        return timingSafeEqual(expected, signature);
      }
    }
  } catch {
    return false;
  }
}

/**
 * Throws a `TypeError` unless `key` is usable for `alg`: an Ed25519 key for EdDSA, a P-256 key
 * for ES256, an RSA key of at least 2048 bits for RS256, a secret of at least 256 bits for
 * HS256. Called once when a key is imported, so the hot path need not re-check it.
 */
export function assertKeyFitsAlgorithm(alg: JwsAlgorithm, key: KeyObject): void {
  let fits: boolean;
  switch (alg) {
    case 'EdDSA':
      fits = key.type !== 'secret' && key.asymmetricKeyType === 'ed25519';
      break;
    case 'ES256':
      fits = key.type !== 'secret' && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
      break;
    case 'RS256':
      fits =
        key.type !== 'secret' &&
        key.asymmetricKeyType === 'rsa' &&
        (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS;
      break;
    case 'HS256':
      fits = key.type === 'secret' && (key.symmetricKeySize ?? 0) >= MIN_HMAC_BYTES;
      break;
  }
  if (!fits) throw new TypeError(`The key does not fit the algorithm ${alg}.`);
}

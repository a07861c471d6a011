import { createHmac, sign, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject, VerifyKeyObjectInput } from 'node:crypto';

/**
 * The raw node:crypto floor: the least work any correct verifier of a compact JWS must do on
 * the FULL token: split, base64url-decode and JSON.parse header and payload, check the header
 * algorithm, verify the signature on a pre-imported KeyObject (or HMAC and compare in constant
 * time), check `exp`. No claim checks beyond that: a real verifier can only be slower.
 * Used in-process (micro benchmarks) and by the floor hook server (HTTP benchmarks).
 */

export type Alg = 'EdDSA' | 'ES256' | 'RS256' | 'HS256';
export const ALGS: readonly Alg[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];

type Claims = Record<string, unknown>;

const HMAC_BYTES = 32;

/** A verifier bound to one algorithm and key; returns the payload, or null for any refusal. */
export function createFloorVerifier(alg: Alg, key: KeyObject): (token: string, nowSeconds: number) => Claims | null {
  const keyInput: KeyObject | VerifyKeyObjectInput = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
  const digest = alg === 'EdDSA' ? null : 'sha256';
  return (token, nowSeconds) => {
    const d1 = token.indexOf('.');
    const d2 = token.indexOf('.', d1 + 1);
    if (d1 <= 0 || d2 <= d1 || token.indexOf('.', d2 + 1) !== -1) return null;
    let header: Claims;
    let payload: Claims;
    try {
      header = JSON.parse(Buffer.from(token.slice(0, d1), 'base64url').toString('utf8')) as Claims;
      payload = JSON.parse(Buffer.from(token.slice(d1 + 1, d2), 'base64url').toString('utf8')) as Claims;
    } catch {
      return null;
    }
    if (header === null || typeof header !== 'object' || header.alg !== alg) return null;
    if (payload === null || typeof payload !== 'object') return null;
    const input = Buffer.from(token.slice(0, d2), 'latin1');
    const signature = Buffer.from(token.slice(d2 + 1), 'base64url');
    let ok: boolean;
    if (alg === 'HS256') {
      ok = signature.length === HMAC_BYTES && timingSafeEqual(createHmac('sha256', key).update(input).digest(), signature);
    } else {
      ok = verify(digest, input, keyInput, signature);
    }
    if (!ok) return null;
    return typeof payload.exp === 'number' && payload.exp > nowSeconds ? payload : null;
  };
}

/** The signing floor: JSON.stringify + base64url + one signature on a pre-imported key. */
export function createFloorSigner(alg: Alg, key: KeyObject, kid: string): (claims: Claims) => string {
  const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid })).toString('base64url');
  const keyInput = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  const digest = alg === 'EdDSA' ? null : 'sha256';
  return (claims) => {
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature =
      alg === 'HS256' ? createHmac('sha256', key).update(input).digest() : sign(digest, Buffer.from(input, 'latin1'), keyInput);
    return `${input}.${signature.toString('base64url')}`;
  };
}

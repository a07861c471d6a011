import { createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { assertKeyFitsAlgorithm, isJwsAlgorithm } from '../jwt/algorithms.js';
import type { VerificationKey } from '../jwt/key-ring.js';
import { MAX_KID_LENGTH } from '../jwt/jws-compact.js';
import { getJson, RemoteFetchError } from './http-json.js';
import type { FetchFunction } from './http-json.js';

/**
 * Reads a JWK Set (RFC 7517 §5) into verification keys, each bound to the one algorithm its
 * JWK names. The token header never chooses the algorithm: `verifyAccessToken` only checks
 * that the header agrees with the key's.
 *
 * A key is imported only when every rule holds, and is otherwise skipped (counted in
 * `ignored`), so one odd key never takes the others down:
 * - `kid` a non-empty string of at most 256 characters, unique in the set (a kid listed twice
 *   is ambiguous: both are skipped);
 * - `use` absent or `sig`; `key_ops`, if present, includes `verify`;
 * - `alg` is EdDSA, ES256 or RS256 (HS256 secrets are never published, so HS256 tokens cannot
 *   be verified remotely), and the key fits it (Ed25519, P-256, RSA ≥ 2048 bits);
 * - no private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`): a set that leaks a private
 *   key is a misconfiguration, not a key to trust.
 */

/** Members copied into the import, by name: nothing else of the remote object is read. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
/** Upper bound on keys read from one set (a deployment publishes two or three). */
export const MAX_JWKS_KEYS = 100;
/** Upper bound on the JWKS body. */
export const MAX_JWKS_BYTES = 256 * 1024;

/** The usable keys of a JWK Set, by kid. */
export interface ImportedJwks {
  keys: ReadonlyMap<string, VerificationKey>;
  /** Keys skipped by the rules above. */
  ignored: number;
}

/**
 * Imports a parsed JWKS document. Throws {@link RemoteFetchError} when the document itself is
 * not a JWK Set (then the caller keeps its previous keys); a well-formed set with no usable
 * key yields an empty map.
 */
export function importJwks(document: unknown): ImportedJwks {
  const list = isRecord(document) ? document.keys : undefined;
  if (!Array.isArray(list)) throw new RemoteFetchError('The JWKS is not a JWK Set.');
  if (list.length > MAX_JWKS_KEYS) throw new RemoteFetchError(`The JWKS holds more than ${MAX_JWKS_KEYS} keys.`);
  const keys = new Map<string, VerificationKey>();
  const duplicated = new Set<string>();
  let ignored = 0;
  for (const jwk of list) {
    const key = importJwk(jwk);
    if (key === null) {
      ignored++;
    } else if (keys.has(key.kid) || duplicated.has(key.kid)) {
      if (keys.delete(key.kid)) ignored++;
      duplicated.add(key.kid);
      ignored++;
    } else {
      keys.set(key.kid, key);
    }
  }
  return { keys, ignored };
}

/** One JWK as a verification key, or null when any rule fails. */
export function importJwk(jwk: unknown): VerificationKey | null {
  if (!isRecord(jwk)) return null;
  const { kid, alg, use } = jwk;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return null;
  if (use !== undefined && use !== 'sig') return null;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return null;
  if (!isJwsAlgorithm(alg) || alg === 'HS256') return null;
  if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m))) return null;
  const members: JsonWebKey = {};
  for (const m of PUBLIC_MEMBERS) {
    const value = Object.hasOwn(jwk, m) ? jwk[m] : undefined;
    if (value === undefined) continue;
    if (typeof value !== 'string') return null;
    members[m] = value;
  }
  try {
    const key = createPublicKey({ key: members, format: 'jwk' });
    assertKeyFitsAlgorithm(alg, key);
    return Object.freeze({ kid, alg, key });
  } catch {
    return null;
  }
}

/** Fetches and imports the JWKS at `url`. */
export async function fetchJwks(url: string, options: { fetch: FetchFunction; timeoutMs: number }): Promise<ImportedJwks> {
  const document = await getJson(url, { what: 'JWKS', fetch: options.fetch, timeoutMs: options.timeoutMs, maxBytes: MAX_JWKS_BYTES });
  return importJwks(document);
}

/** True when both sets hold the same kids, each with the same algorithm and key material. */
export function sameKeySet(a: ReadonlyMap<string, VerificationKey>, b: ReadonlyMap<string, VerificationKey>): boolean {
  if (a.size !== b.size) return false;
  for (const [kid, key] of a) {
    const other = b.get(kid);
    if (other === undefined || other.alg !== key.alg || !other.key.equals(key.key)) return false;
  }
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

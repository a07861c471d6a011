import { encodeBase64url } from '../crypto/base64url.js';
import { signJws, verifyJws } from './algorithms.js';
import type { JsonObject } from './json-object.js';
import { KnownHeaders, parseCompactJws } from './jws-compact.js';
import type { KeyLookup, SigningKey } from './key-ring.js';
import { refuse } from './refusal.js';
import type { RefusalReason } from './refusal.js';

/**
 * JWT access tokens in the profile of RFC 9068: header `{alg, typ: "at+jwt", kid}`, claims
 * `iss aud sub sid client_id iat exp jti`. The explicit `typ` keeps an ID token or any other
 * JWT signed by the same key from being accepted as an access token (RFC 9068 §4,
 * RFC 8725 §3.11).
 */

/**
 * The claims of an access token (RFC 9068 §2.2; `sid` from OpenID Connect), as `verify`
 * returns them: `sub` is the user id, `sid` the session record.
 *
 * @example
 * ```ts
 * import type { AccessTokenClaims, RemoteVerifier } from 'tessera/verifier'
 *
 * async function ownerOf(verifier: RemoteVerifier, token: string): Promise<string> {
 *   const claims: AccessTokenClaims = await verifier.verify(token)
 *   return claims.sub
 * }
 * ```
 */
export interface AccessTokenClaims {
  iss: string;
  /** One audience, or several (RFC 7519 §4.1.3). */
  aud: string | string[];
  sub: string;
  /** The session record (refresh-token family) the token was issued from. */
  sid: string;
  client_id: string;
  iat: number;
  exp: number;
  jti: string;
  nbf?: number;
}

/** The `typ` header of an access token (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** How {@link verifyAccessToken} decides. All times in seconds. */
export interface VerifyAccessTokenOptions {
  /** Finds the verification key of a kid, e.g. `keyRing.lookup` (called with `nowSeconds * 1000`). */
  keys: KeyLookup;
  /** The exact `iss` required. */
  issuer: string;
  /** The audience that must be `aud` or among it. */
  audience: string;
  nowSeconds: number;
  /** Leeway on `exp`, `nbf` and `iat` for clock skew between servers. */
  clockToleranceSeconds: number;
  /** The longest `exp - iat` accepted: a far-future `exp` is refused, not trusted. */
  maxTtlSeconds: number;
}

/**
 * Headers of tokens that verified (a handful: one per key of the ring), so that the next token
 * with the same header skips its decoding and parsing (about 1 µs of a 4 µs HS256 check).
 */
const verifiedHeaders = new KnownHeaders();

/** Encoded headers, computed once per signing key object: the header never varies. */
const headerSegments = new WeakMap<SigningKey, string>();

/**
 * Signs an access token with `key` (from `KeyRing.signingKey`). Only the claims of
 * {@link AccessTokenClaims} are serialised. Throws a `TypeError` for claims that
 * {@link verifyAccessToken} would refuse on their shape.
 */
export function signAccessToken(claims: AccessTokenClaims, key: SigningKey): string {
  const problem = claimShapeProblem(claims as unknown as JsonObject);
  if (problem !== null) throw new TypeError(`Access token claims are invalid (${problem}).`);
  let header = headerSegments.get(key);
  if (header === undefined) {
    header = encodeBase64url(JSON.stringify({ alg: key.alg, typ: ACCESS_TOKEN_TYPE, kid: key.kid }));
    headerSegments.set(key, header);
  }
  const { iss, sub, aud, client_id, sid, jti, iat, nbf, exp } = claims;
  const payload = encodeBase64url(JSON.stringify({ iss, sub, aud, client_id, sid, jti, iat, nbf, exp }));
  const signingInput = `${header}.${payload}`;
  const signature = signJws(key.alg, key.key, Buffer.from(signingInput, 'latin1'));
  return `${signingInput}.${encodeBase64url(signature)}`;
}

/**
 * Verifies an access token and returns its claims. Structure is checked first (cheap), then
 * `typ`, the key by `kid`, the header `alg` against the key's own algorithm, the signature,
 * and only then the claims.
 *
 * Throws `TesseraError('token_expired')` for a token valid in every respect but `exp`, and
 * `TesseraError('unauthorized')` for every other refusal; `refusalReason(error)` names the
 * failed check for logs and metrics.
 */
export function verifyAccessToken(token: unknown, options: VerifyAccessTokenOptions): AccessTokenClaims {
  const { header, payload, signingInput, signature } = parseCompactJws(token, verifiedHeaders);
  if (!isAccessTokenType(header.typ)) throw refuse('bad_typ');
  if (header.kid === undefined) throw refuse('bad_kid');
  const key = options.keys(header.kid, options.nowSeconds * 1000);
  if (key === undefined) throw refuse('unknown_kid');
  // The algorithm is the key's; the header only has to agree with it, case-sensitively.
  if (header.alg !== key.alg) throw refuse('alg_mismatch');
  if (!verifyJws(key.alg, key.key, signingInput, signature)) throw refuse('bad_signature');
  if (!Object.isFrozen(header)) verifiedHeaders.remember((token as string).slice(0, (token as string).indexOf('.')), header);

  const problem = claimShapeProblem(payload) ?? claimValueProblem(payload as unknown as AccessTokenClaims, options);
  if (problem !== null) throw refuse(problem);
  return payload as unknown as AccessTokenClaims;
}

/**
 * RFC 9068 §4: `typ` is `at+jwt` or the full media type `application/at+jwt`; media types
 * compare case-insensitively (RFC 7515 §4.1.9).
 */
function isAccessTokenType(typ: unknown): boolean {
  if (typ === ACCESS_TOKEN_TYPE) return true;
  if (typeof typ !== 'string' || typ.length > 18) return false;
  const lower = typ.toLowerCase();
  return lower === ACCESS_TOKEN_TYPE || lower === 'application/at+jwt';
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Checks the types of the claims; null when every claim has its required shape. */
function claimShapeProblem(claims: JsonObject): RefusalReason | null {
  if (typeof claims.iss !== 'string') return 'bad_iss';
  const aud = claims.aud;
  if (Array.isArray(aud) ? aud.length === 0 || !aud.every(isNonEmptyString) : !isNonEmptyString(aud)) return 'bad_aud';
  if (
    !isNonEmptyString(claims.sub) ||
    !isNonEmptyString(claims.sid) ||
    !isNonEmptyString(claims.jti) ||
    !isNonEmptyString(claims.client_id) ||
    !Number.isSafeInteger(claims.iat) ||
    !Number.isSafeInteger(claims.exp) ||
    (claims.nbf !== undefined && !Number.isSafeInteger(claims.nbf))
  ) {
    return 'bad_claim';
  }
  return null;
}

/** Checks the claims against the options; `expired` only after every other check passed. */
function claimValueProblem(claims: AccessTokenClaims, options: VerifyAccessTokenOptions): RefusalReason | null {
  const { nowSeconds, clockToleranceSeconds: tolerance } = options;
  if (claims.iss !== options.issuer) return 'bad_iss';
  const aud = claims.aud;
  if (typeof aud === 'string' ? aud !== options.audience : !aud.includes(options.audience)) return 'bad_aud';
  if (claims.exp <= claims.iat) return 'bad_claim';
  if (claims.iat > nowSeconds + tolerance) return 'issued_in_future';
  if (claims.nbf !== undefined && claims.nbf > nowSeconds + tolerance) return 'not_yet_valid';
  if (claims.exp - claims.iat > options.maxTtlSeconds) return 'ttl_too_long';
  if (claims.exp <= nowSeconds - tolerance) return 'expired';
  return null;
}

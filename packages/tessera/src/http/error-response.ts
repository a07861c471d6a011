import { TesseraError } from '../errors.js';
import type { HttpResponse } from './http-types.js';

/**
 * The `WWW-Authenticate` challenge of every 401 (RFC 6750 §3), for 401s of your own:
 * `error="invalid_token"` tells a client that sent a token to refresh or sign in again.
 *
 * @example
 * ```ts
 * import { bearerChallenge } from 'tessera'
 *
 * function unauthorized(tokenSent: boolean): Response {
 *   return new Response(null, { status: 401, headers: { 'www-authenticate': bearerChallenge(tokenSent) } })
 * }
 * bearerChallenge(true) // 'Bearer realm="tessera", error="invalid_token"'
 * ```
 */
export function bearerChallenge(tokenSent: boolean): string {
  return tokenSent ? 'Bearer realm="tessera", error="invalid_token"' : 'Bearer realm="tessera"';
}

/**
 * Turns any thrown value into the spec's error response. Only TesseraErrors speak for
 * themselves; anything else is a 500 with a fixed message (the cause goes to the log only).
 * Sets `WWW-Authenticate` on a 401 and `Retry-After` on a 429 or 503.
 *
 * @example
 * ```ts
 * import { errorResponse, TesseraError } from 'tessera'
 *
 * const response = errorResponse(new TesseraError('rate_limited', { retryAfterSeconds: 30 }))
 * // { status: 429, headers: { 'cache-control': 'no-store', 'retry-after': '30' }, body: { error: { code: 'rate_limited', message: … } } }
 * errorResponse(new Error('connection reset')).status // 500, and the message does not leak
 * ```
 */
export function errorResponse(error: unknown, credentialSent = false): HttpResponse {
  const e = error instanceof TesseraError ? error : new TesseraError('internal_error', { cause: error });
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (e.status === 401) {
    // An expired token or a refused refresh token was sent, unless the refusal says none was
    // (a refresh with neither a body token nor the cookie: RFC 6750 §3.1, no error code).
    const refusedGrant = e.code === 'invalid_grant' && (e as { credentialSent?: boolean }).credentialSent !== false;
    headers['www-authenticate'] = bearerChallenge(credentialSent || e.code === 'token_expired' || refusedGrant);
  }
  if (e.code === 'rate_limited' || e.code === 'unavailable') headers['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfterSeconds ?? 1)));
  return { status: e.status, headers, body: e.toJSON() };
}

import { TesseraError } from '../errors.js';
import type { HttpResponse } from './http-types.js';

/** The `WWW-Authenticate` challenge of every 401 (RFC 6750 §3). */
export function bearerChallenge(tokenSent: boolean): string {
  return tokenSent ? 'Bearer realm="tessera", error="invalid_token"' : 'Bearer realm="tessera"';
}

/**
 * Turns any thrown value into the spec's error response. Only TesseraErrors speak for
 * themselves; anything else is a 500 with a fixed message (the cause goes to the log only).
 */
export function errorResponse(error: unknown, credentialSent = false): HttpResponse {
  const e = error instanceof TesseraError ? error : new TesseraError('internal_error', { cause: error });
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (e.status === 401) headers['www-authenticate'] = bearerChallenge(credentialSent || e.code === 'token_expired' || e.code === 'invalid_grant');
  if (e.code === 'rate_limited' || e.code === 'unavailable') headers['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfterSeconds ?? 1)));
  return { status: e.status, headers, body: e.toJSON() };
}

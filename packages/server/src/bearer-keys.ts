import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { withEveryAuthorization } from 'tessera';

/**
 * Static Bearer secrets (service keys, admin keys). Each presented value is compared with
 * every configured key as SHA-256 digests, in constant time and without stopping at a match,
 * so neither a key's length, nor a prefix, nor which key matched shows in the timing.
 */

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** A checker for `keys`: true when `presented` is one of them. Always false when there are none. */
export function createKeyChecker(keys: readonly string[]): (presented: string) => boolean {
  const digests = keys.map(digest);
  return (presented) => {
    const d = digest(presented);
    let ok = false;
    for (const k of digests) ok = timingSafeEqual(k, d) || ok;
    return ok;
  };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
function bearerToken(header: string | string[] | undefined): string | null {
  const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/**
 * The Bearer token of a request, or null, and whether a token was sent (for `error="invalid_token"`).
 * Two `Authorization` lines are no token (Node keeps only the first in `headers`; a proxy in
 * front may have checked the other), as on the auth routes.
 */
export function requestBearerToken(request: { headers: IncomingHttpHeaders; raw: { rawHeaders: string[] } }): { token: string | null; sent: boolean } {
  const header = withEveryAuthorization(request.headers, request.raw.rawHeaders).authorization;
  const token = bearerToken(header);
  return { token, sent: token !== null || Array.isArray(header) };
}

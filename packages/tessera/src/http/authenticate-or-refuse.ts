import type { AuthResult } from '../auth/public-types.js';
import type { Tessera } from '../auth/tessera.js';
import { TesseraError } from '../errors.js';
import { checkOrigin } from './route-kit.js';
import { errorResponse } from './error-response.js';
import type { HttpRequestInfo, HttpResponse } from './http-types.js';

/**
 * An authenticated {@link AuthResult}: what `requireAuth` hands a guarded route, so it needs
 * no `status` check.
 *
 * @example
 * ```ts
 * import { requireAuth } from 'tessera/web'
 * import type { Authenticated } from 'tessera/web'
 *
 * function describeCaller(who: Authenticated): string {
 *   return `${who.userId} (${who.mode}, until ${who.expiresAt})`
 * }
 * export async function GET(request: Request): Promise<Response> {
 *   const who = await requireAuth(auth, request)
 *   return who instanceof Response ? who : new Response(describeCaller(who))
 * }
 * ```
 */
export type Authenticated = Extract<AuthResult, { status: 'authenticated' }>;

/** The outcome of an adapter's `requireAuth`: who is calling, or the response that refuses. */
export type AuthCheck =
  | { result: Authenticated; refusal: null }
  /** `result` is null when the check could not be made (store outage: 503). */
  | { result: AuthResult | null; refusal: HttpResponse };

/** What `requireAuth` reads from a request. */
export type GuardedRequest = Pick<HttpRequestInfo, 'method' | 'headers' | 'protocol'>;

/**
 * What every adapter's `requireAuth` does, framework-free: authenticate the credential
 * headers; an anonymous caller gets 401 (`token_expired` for an expired access token, so
 * clients know to refresh) with `WWW-Authenticate`; "could not check" gets 503, never 401.
 * A session cookie is an ambient credential, so a state-changing request that it
 * authenticates must also pass the CSRF origin check (403 otherwise).
 */
export async function authenticateOrRefuse(auth: Tessera, request: GuardedRequest): Promise<AuthCheck> {
  const { headers } = request;
  let result: AuthResult;
  try {
    result = await auth.authenticate({ authorization: headers.authorization, cookie: headers.cookie });
  } catch (error) {
    return { result: null, refusal: errorResponse(error) };
  }
  if (result.status === 'anonymous') {
    const code = result.reason === 'expired' && result.mode === 'jwt' ? 'token_expired' : 'unauthorized';
    return { result, refusal: errorResponse(new TesseraError(code), result.credentialSent) };
  }
  if (result.mode === 'session') {
    try {
      checkOrigin(auth, request);
    } catch (error) {
      return { result, refusal: errorResponse(error) };
    }
  }
  return { result, refusal: null };
}

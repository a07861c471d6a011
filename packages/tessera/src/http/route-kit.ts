import type { AuthResult, ClientInfo } from '../auth/public-types.js';
import type { Tessera } from '../auth/tessera.js';
import { TesseraError } from '../errors.js';
import type { HttpRequestInfo, HttpResponse } from './http-types.js';
import { assertSameOrigin, isSafeMethod, originOf } from './request-origin.js';

// What the framework-free route handlers share: reading a request, answering, and the checks
// every state-changing route makes (CSRF origin, authentication).

/** A header's value when it was sent once (a repeated header reads as absent). */
export function header(request: Pick<HttpRequestInfo, 'headers'>, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** The client facts the core records (address after the trusted-proxy rule, User-Agent). */
export function clientOf(request: HttpRequestInfo): ClientInfo {
  return { ip: request.ip, userAgent: header(request, 'user-agent') };
}

/** A JSON answer; every auth answer is `no-store`. */
export function json(status: number, body: unknown, setCookies: string[] = []): HttpResponse {
  const headers: Record<string, string | string[]> = { 'cache-control': 'no-store' };
  if (setCookies.length > 0) headers['set-cookie'] = setCookies;
  return { status, headers, body };
}

/** A 204. */
export function noContent(setCookies: string[] = []): HttpResponse {
  const r = json(204, undefined, setCookies);
  delete r.body;
  return r;
}

/**
 * Refuses cross-site state-changing requests (see request-origin.ts): throws `forbidden` when
 * a request other than GET, HEAD or OPTIONS comes from a browser on an origin other than the
 * request's own, the issuer's or a trusted one. For routes of your own that a browser may
 * call with its cookies; the auth routes and the adapters' `requireAuth` already check.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { checkOrigin } from 'tessera'
 * import { toRequestInfo } from 'tessera/fastify'
 *
 * const app = Fastify()
 * app.post('/settings', async (request) => {
 *   checkOrigin(auth, toRequestInfo(request, 0)) // a TesseraError('forbidden') for a cross-site form
 *   return { saved: true }
 * })
 * ```
 */
export function checkOrigin(auth: Tessera, request: Pick<HttpRequestInfo, 'method' | 'headers' | 'protocol'>): void {
  // Before parsing the Host header into an origin (a URL, 4,000 instructions): the check has
  // nothing to refuse on a safe method, and every GET behind requireAuth comes through here.
  if (isSafeMethod(request.method)) return;
  assertSameOrigin({
    method: request.method,
    origin: header(request, 'origin'),
    secFetchSite: header(request, 'sec-fetch-site'),
    ownOrigin: originOf(request.protocol, header(request, 'host')),
    trustedOrigins: auth.options.csrfOrigins,
  });
}

/** The JSON body as an object (`{}` when empty). */
export function body(request: HttpRequestInfo): Record<string, unknown> {
  const b = request.body;
  if (b === undefined || b === null || b === '') return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new TesseraError('invalid_request', { message: 'The body must be a JSON object.' });
  return b as Record<string, unknown>;
}

/** Authenticates; throws 401 when anonymous. Checks the origin when the cookie carried it. */
export async function requireAuth(auth: Tessera, request: HttpRequestInfo): Promise<Extract<AuthResult, { status: 'authenticated' }>> {
  const result = await auth.authenticate({ authorization: request.headers.authorization, cookie: request.headers.cookie });
  if (result.status === 'anonymous') {
    const e = new TesseraError(result.reason === 'expired' && result.mode === 'jwt' ? 'token_expired' : 'unauthorized');
    throw Object.assign(e, { credentialSent: result.credentialSent });
  }
  return result;
}

/** A query parameter given once, or undefined. */
export function queryValue(request: HttpRequestInfo, name: string): string | undefined {
  const v = request.query?.[name];
  return typeof v === 'string' ? v : undefined;
}

import type { AuthResult } from '../auth/public-types.js';
import type { Tessera } from '../auth/tessera.js';
import { TesseraError } from '../errors.js';
import type { Authenticated } from '../http/authenticate-or-refuse.js';
import { authenticateOrRefuse } from '../http/authenticate-or-refuse.js';
import { clientIp } from '../http/client-ip.js';
import { dispatchAuthRequest, normalizePrefix } from '../http/dispatch-auth-request.js';
import { bearerChallenge, errorResponse } from '../http/error-response.js';
import type { HttpResponse } from '../http/http-types.js';

// The adapter for web-standard Request/Response runtimes and frameworks: Hono, Bun, Deno,
// Next.js route handlers, Cloudflare-style `fetch` handlers. No dependency at all.

/**
 * Options of {@link createWebHandler}: the auth service, where its routes answer, and how the
 * client address is found (runtimes differ).
 *
 * @example
 * ```ts
 * import { createWebHandler } from 'tessera/web'
 * import type { WebHandlerOptions } from 'tessera/web'
 *
 * // Behind Cloudflare, which sets CF-Connecting-IP to the client's address.
 * const options: WebHandlerOptions = { auth, clientIp: (request) => request.headers.get('cf-connecting-ip') ?? 'unknown' }
 * export default { fetch: createWebHandler(options) }
 * ```
 */
export interface WebHandlerOptions {
  auth: Tessera;
  /** The path the auth routes answer under. Default `/auth` (the refresh cookie's path). */
  routePrefix?: string;
  /** Proxy hops whose `X-Forwarded-For` entries are trusted. Default 0 (ignored). */
  trustProxyHops?: number;
  /**
   * The client address, when your runtime knows it better (it replaces the
   * `X-Forwarded-For` rule). Without it, and without `context.ip`, the address is
   * `"unknown"`, and the login throttle then counts failures per account only.
   */
  clientIp?: (request: Request) => string;
}

/**
 * What the runtime knows about the connection, beside the `Request`: a `Request` carries no
 * peer address, and the login throttle needs one.
 *
 * @example
 * ```ts
 * import { createWebHandler } from 'tessera/web'
 * import type { WebRequestContext } from 'tessera/web'
 *
 * const handleAuth = createWebHandler({ auth })
 * function onRequest(request: Request, peerAddress: string | undefined): Promise<Response> {
 *   const context: WebRequestContext = { ip: peerAddress }
 *   return handleAuth(request, context)
 * }
 * ```
 */
export interface WebRequestContext {
  /** The peer address of the connection (Node `socket.remoteAddress`, Bun `server.requestIP`). */
  ip?: string | undefined;
}

/**
 * A `fetch`-style handler, `(request, context?) => Promise<Response>`: what runtimes and
 * routers that speak web-standard `Request`/`Response` mount.
 *
 * @example
 * ```ts
 * import { createWebHandler } from 'tessera/web'
 * import type { WebHandler } from 'tessera/web'
 *
 * const handleAuth: WebHandler = createWebHandler({ auth })
 * const handle: WebHandler = (request, context) =>
 *   new URL(request.url).pathname.startsWith('/auth/') ? handleAuth(request, context) : Promise.resolve(new Response('Not found', { status: 404 }))
 * ```
 */
export type WebHandler = (request: Request, context?: WebRequestContext) => Promise<Response>;

function protocolOf(url: URL): 'http' | 'https' {
  return url.protocol === 'https:' ? 'https' : 'http';
}

/** The request headers as the core reads them: lower-case names, string values. */
function headersOf(request: Request, url: URL): Record<string, string> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  // Browsers' Request objects cannot carry Host; the URL says where the request went.
  headers.host ??= url.host;
  return headers;
}

async function readStream(request: Request, limitBytes: number): Promise<Uint8Array | 'too_large'> {
  if (request.body === null) return new Uint8Array(0);
  // A middleware in front read it (Hono's `c.req.json()`, a validator): say so, rather than
  // that it "could not be read".
  if (request.bodyUsed) {
    throw new TesseraError('invalid_request', { message: 'The request body was read before the auth handler: mount it before middleware that reads bodies.' });
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      reader.cancel().catch(() => undefined);
      return 'too_large';
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Turns a framework-free response into a `Response`, each `Set-Cookie` its own header (and no
 * body for `HEAD`): how your own handlers answer in the spec's shape.
 *
 * @example
 * ```ts
 * import { errorResponse, TesseraError } from 'tessera'
 * import { toWebResponse } from 'tessera/web'
 *
 * function notYours(): Response {
 *   return toWebResponse(errorResponse(new TesseraError('forbidden'))) // 403 {"error":{"code":"forbidden",…}}
 * }
 * ```
 */
export function toWebResponse(response: HttpResponse, method = 'GET'): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    for (const v of typeof value === 'string' ? [value] : value) headers.append(name, v);
  }
  if (response.body === undefined) return new Response(null, { status: response.status, headers });
  headers.set('content-type', 'application/json; charset=utf-8');
  return new Response(method === 'HEAD' ? null : response.bodyText ?? JSON.stringify(response.body), { status: response.status, headers });
}

/**
 * A `fetch`-style handler for the auth API. Mount it on the prefix (`/auth/*`): a path
 * outside it gets 404 `not_found`. Bodies follow the spec (JSON, 16 KiB).
 *
 * @example
 * ```ts
 * import { getConnInfo } from '@hono/node-server/conninfo'
 * import { Hono } from 'hono'
 * import { createWebHandler } from 'tessera/web'
 *
 * // Hono on Node
 * const app = new Hono()
 * const handleAuth = createWebHandler({ auth })
 * app.all('/auth/*', (c) => handleAuth(c.req.raw, { ip: getConnInfo(c).remote.address }))
 * // Next.js: app/auth/[...path]/route.ts
 * export const GET = (req: Request) => handleAuth(req), POST = GET, DELETE = GET
 * ```
 */
export function createWebHandler(options: WebHandlerOptions): WebHandler {
  const { auth } = options;
  const prefix = normalizePrefix(options.routePrefix ?? '/auth');
  const hops = options.trustProxyHops ?? 0;
  return async (request, context) => {
    const url = new URL(request.url);
    const headers = headersOf(request, url);
    const ip = options.clientIp ? options.clientIp(request) : clientIp(context?.ip, headers['x-forwarded-for'], hops);
    const response = await dispatchAuthRequest(auth, prefix, {
      method: request.method,
      pathname: url.pathname,
      search: url.search,
      headers,
      ip,
      protocol: protocolOf(url),
      body: {
        contentType: headers['content-type'],
        contentLength: headers['content-length'],
        contentEncoding: headers['content-encoding'],
        hasBody: request.body !== null,
        readBytes: (limit) => readStream(request, limit),
      },
    });
    return toWebResponse(response ?? errorResponse(new TesseraError('not_found')), request.method);
  };
}

/**
 * Who sent this request: the `AuthResult` of its `Authorization` and `Cookie` headers, for
 * pages that serve signed-in and anonymous callers alike. It refuses nothing (no 401, no CSRF
 * check): guard a route with {@link requireAuth}. Throws `unavailable` when the store cannot
 * be reached (never "anonymous").
 *
 * @example
 * ```ts
 * import { authenticateRequest } from 'tessera/web'
 *
 * export async function GET(request: Request): Promise<Response> {
 *   const result = await authenticateRequest(auth, request)
 *   return Response.json({ greeting: result.status === 'authenticated' ? 'Welcome back' : 'Hello, guest' })
 * }
 * ```
 */
export function authenticateRequest(auth: Tessera, request: Request): Promise<AuthResult> {
  return auth.authenticate({
    authorization: request.headers.get('authorization') ?? undefined,
    cookie: request.headers.get('cookie') ?? undefined,
  });
}

/**
 * Guards a route: the authenticated result, or the `Response` to return instead (401 with
 * `WWW-Authenticate`, `token_expired` for an expired access token, 503 on a store outage,
 * 403 for a cross-site state-changing request authenticated by the session cookie).
 *
 * @example
 * ```ts
 * import { requireAuth } from 'tessera/web'
 *
 * export async function POST(request: Request): Promise<Response> {
 *   const who = await requireAuth(auth, request)
 *   if (who instanceof Response) return who // 401, 403 or 503, ready to send
 *   return Response.json({ userId: who.userId })
 * }
 * ```
 */
export async function requireAuth(auth: Tessera, request: Request): Promise<Authenticated | Response> {
  const url = new URL(request.url);
  const check = await authenticateOrRefuse(auth, { method: request.method, headers: headersOf(request, url), protocol: protocolOf(url) });
  return check.refusal ? toWebResponse(check.refusal, request.method) : check.result;
}

export type { Authenticated };
/** The 401 challenge header value, for your own handlers. */
export { bearerChallenge };

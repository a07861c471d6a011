import type { Tessera } from '../auth/tessera.js';
import type { SignInResult } from '../auth/public-types.js';
import { TesseraError } from '../errors.js';
import { readCookie } from './cookies.js';
import type { HttpRequestInfo, HttpResponse } from './http-types.js';
import { bearerChallenge, errorResponse } from './error-response.js';
import { AUTH_QUERY_SCHEMAS, AUTH_ROUTE_SCHEMAS } from './route-schemas.js';
import { validateBody, validateQuery } from './body-validator.js';
import { ACCOUNT_ROUTES } from './account-routes.js';
import { meAnswer } from './me-answer.js';
import { body, checkOrigin, clientOf, json, noContent, queryValue, requireAuth } from './route-kit.js';

export { checkOrigin };

/**
 * One route of the auth API, framework-free: what an adapter mounts (method, path, schemas
 * for validation and OpenAPI) and runs with {@link runAuthRoute}.
 *
 * @example
 * ```ts
 * import { AUTH_ROUTES } from 'tessera'
 * import type { AuthRoute } from 'tessera'
 *
 * const login: AuthRoute | undefined = AUTH_ROUTES.find((r) => r.method === 'POST' && r.path === '/login')
 * console.log(login?.bodySchema) // the JSON schema its body must match
 * ```
 */
export interface AuthRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path relative to the mount point, with `:param` segments. */
  path: string;
  /** JSON schema of the body (for framework validation and the OpenAPI document). */
  bodySchema?: object;
  /** JSON schema of the query string (string values); a route without one ignores the query. */
  querySchema?: object;
  /** The status of a success, for documentation (the OpenAPI document); 200 when absent. */
  status?: 200 | 201 | 202 | 204;
  /** `signed-in`: the caller sends a session cookie or an access token (for documentation). */
  caller?: 'signed-in';
  /** The body may be left out, for documentation (a body schema alone reads as a required body). */
  bodyOptional?: boolean;
  handle(auth: Tessera, request: HttpRequestInfo): Promise<HttpResponse>;
}

function signInBody(result: SignInResult): { status: number; body: unknown; cookies: string[] } {
  if (result.mode === 'session') {
    return { status: 200, body: { user: result.user, mode: 'session', session: result.session }, cookies: result.setCookies };
  }
  const { user, accessToken, tokenType, expiresIn, refreshToken, setCookies } = result;
  return { status: 200, body: { user, mode: 'jwt', accessToken, tokenType, expiresIn, refreshToken }, cookies: setCookies };
}

const s = AUTH_ROUTE_SCHEMAS;
const q = AUTH_QUERY_SCHEMAS;

/** Entries per page of `GET /audit` when the query does not say. */
const AUDIT_PAGE_DEFAULT = 50;

/**
 * Ends the session record of the request's session cookie, if it names an active one. Best
 * effort: the sign-in has succeeded, and a store that fails here leaves the old record as it
 * was (ending on its own at its expiry), not the new one undelivered.
 */
async function endReplacedSession(auth: Tessera, request: HttpRequestInfo): Promise<void> {
  if (readCookie(request.headers.cookie, auth.cookieNames.session).status !== 'present') return;
  try {
    const old = await auth.authenticate({ cookie: request.headers.cookie });
    if (old.status === 'authenticated' && old.mode === 'session') await auth.endSession(old.userId, old.sessionId, 'logout', clientOf(request));
  } catch {
    // See above: nothing is lost that was not already.
  }
}

/**
 * The auth API of the spec (docs/api.md), as framework-free routes: the Fastify, Express and
 * web adapters mount exactly these; mount them yourself for another framework.
 *
 * @example
 * ```ts
 * import { AUTH_ROUTES } from 'tessera'
 *
 * for (const route of AUTH_ROUTES) console.log(route.method, `/auth${route.path}`) // POST /auth/register, …
 * ```
 */
export const AUTH_ROUTES: readonly AuthRoute[] = [
  {
    method: 'POST', path: '/register', bodySchema: s.register, status: 201,
    async handle(auth, request) {
      checkOrigin(auth, request);
      const b = body(request);
      const user = await auth.register({ email: b.email, password: b.password }, clientOf(request));
      return json(201, { user });
    },
  },
  {
    method: 'POST', path: '/login', bodySchema: s.login,
    async handle(auth, request) {
      checkOrigin(auth, request);
      const b = body(request);
      const result = await auth.signIn({ email: b.email, password: b.password, mode: b.mode }, clientOf(request));
      // The new session cookie overwrites the browser's old one: end the record it named,
      // which no one could use any more but a copy of that cookie (OWASP: a sign-in ends the
      // session it replaces). A JWT sign-in sets no session cookie, so the old one stays.
      if (result.mode === 'session') await endReplacedSession(auth, request);
      const r = signInBody(result);
      return json(r.status, r.body, r.cookies);
    },
  },
  {
    method: 'POST', path: '/refresh', bodySchema: s.refresh, bodyOptional: true,
    async handle(auth, request) {
      const b = body(request);
      let token = b.refreshToken;
      if (token === undefined) {
        const cookie = readCookie(request.headers.cookie, auth.cookieNames.refresh);
        // No token at all is still invalid_grant, but its challenge names no invalid token.
        if (cookie.status !== 'present') throw Object.assign(new TesseraError('invalid_grant'), { credentialSent: cookie.status === 'ambiguous' });
        token = cookie.value;
      }
      const pair = await auth.refresh(token, clientOf(request));
      const { accessToken, tokenType, expiresIn, refreshToken } = pair;
      return json(200, { accessToken, tokenType, expiresIn, refreshToken }, pair.setCookies);
    },
  },
  {
    method: 'POST', path: '/logout', bodySchema: s.logout, status: 204, bodyOptional: true,
    async handle(auth, request) {
      const b = body(request);
      if (b.refreshToken !== undefined) {
        await auth.signOutWithRefreshToken(b.refreshToken, clientOf(request));
        return noContent(auth.clearCookies());
      }
      const who = await requireAuth(auth, request);
      await auth.endSession(who.userId, who.sessionId, 'logout', clientOf(request));
      return noContent(auth.clearCookies());
    },
  },
  {
    method: 'POST', path: '/logout-all', bodySchema: s.empty, status: 204, caller: 'signed-in', bodyOptional: true,
    async handle(auth, request) {
      const who = await requireAuth(auth, request);
      await auth.endAllSessions(who.userId, 'logout_all', clientOf(request));
      return noContent(auth.clearCookies());
    },
  },
  {
    method: 'GET', path: '/me', caller: 'signed-in',
    async handle(auth, request) {
      const who = await requireAuth(auth, request);
      const user = who.user ?? (await auth.getUser(who.userId));
      if (!user) throw new TesseraError('unauthorized');
      return meAnswer(user, who);
    },
  },
  {
    method: 'GET', path: '/sessions', caller: 'signed-in',
    async handle(auth, request) {
      const who = await requireAuth(auth, request);
      return json(200, { sessions: await auth.listSessions(who.userId, who.sessionId) });
    },
  },
  {
    method: 'DELETE', path: '/sessions/:id', status: 204, caller: 'signed-in',
    async handle(auth, request) {
      const who = await requireAuth(auth, request);
      const id = request.params.id ?? '';
      if (!(await auth.endSession(who.userId, id, 'ended_by_user', clientOf(request)))) throw new TesseraError('not_found', { message: 'No such active session.' });
      return noContent(id === who.sessionId ? auth.clearCookies() : []);
    },
  },
  {
    method: 'POST', path: '/password', bodySchema: s.password, caller: 'signed-in',
    async handle(auth, request) {
      const who = await requireAuth(auth, request);
      const b = body(request);
      const result = await auth.changePassword(
        { userId: who.userId, mode: who.mode, currentPassword: b.currentPassword, newPassword: b.newPassword },
        clientOf(request),
      );
      const r = signInBody(result);
      return json(r.status, r.body, r.cookies);
    },
  },
  {
    // The caller's own audit log, newest first: `?limit=` (1 to 200) entries before `?before=`.
    method: 'GET', path: '/audit', querySchema: q.audit, caller: 'signed-in',
    async handle(auth, request) {
      const who = await requireAuth(auth, request);
      const before = queryValue(request, 'before');
      const limit = queryValue(request, 'limit');
      const page = await auth.listAudit({
        userId: who.userId,
        limit: limit === undefined ? AUDIT_PAGE_DEFAULT : Number(limit),
        ...(before === undefined ? {} : { beforeSeq: Number(before) }),
      });
      const entries = page.entries.map((e) => ({ seq: e.seq, at: e.at, type: e.type, sessionId: e.sessionId, ip: e.ip, detail: e.detail }));
      return json(200, { entries, next: page.next });
    },
  },
  // Email verification, password reset, email change, account deletion.
  ...ACCOUNT_ROUTES,
];

/** True when the request carries the session or the refresh cookie (an ambient credential). */
function carriesCredentialCookie(auth: Tessera, request: HttpRequestInfo): boolean {
  const header = request.headers.cookie;
  return readCookie(header, auth.cookieNames.session).status !== 'absent' || readCookie(header, auth.cookieNames.refresh).status !== 'absent';
}

/**
 * Runs a route for a framework without an adapter: the CSRF check, strict body and query
 * validation, the handler, and any failure turned into the spec's error response (it never
 * throws).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { AUTH_ROUTES, clientIp, parseQuery, runAuthRoute } from 'tessera'
 *
 * // GET routes without parameters only, for brevity: others also need `params` and the JSON `body`.
 * createServer(async (req, res) => {
 *   const path = (req.url ?? '/').split('?')[0]
 *   const route = AUTH_ROUTES.find((r) => r.method === req.method && `/auth${r.path}` === path)
 *   if (route === undefined) return void res.writeHead(404).end()
 *   const response = await runAuthRoute(route, auth, {
 *     method: route.method, headers: req.headers, body: undefined, params: {}, query: parseQuery(req.url ?? ''),
 *     ip: clientIp(req.socket.remoteAddress, undefined, 0), protocol: 'http',
 *   })
 *   if (response.body !== undefined) res.setHeader('content-type', 'application/json; charset=utf-8')
 *   res.writeHead(response.status, response.headers).end(response.body === undefined ? undefined : JSON.stringify(response.body))
 * }).listen(3000)
 * ```
 */
export async function runAuthRoute(route: AuthRoute, auth: Tessera, request: HttpRequestInfo): Promise<HttpResponse> {
  try {
    // CSRF: every state-changing request that carries a credential cookie is checked, whatever
    // else it carries (a body token does not make a cookie-bearing request safe).
    if (route.method !== 'GET' && carriesCredentialCookie(auth, request)) checkOrigin(auth, request);
    if (route.bodySchema) validateBody(route.bodySchema, request.body === '' || request.body === null ? undefined : request.body);
    if (route.querySchema) validateQuery(route.querySchema, request.query ?? {});
    return await route.handle(auth, request);
  } catch (error) {
    const sent = (error as { credentialSent?: boolean }).credentialSent === true;
    return errorResponse(error, sent);
  }
}

/** The 401 challenge header for adapters' own `requireAuth` hooks. */
export { bearerChallenge };

import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, preHandlerAsyncHookHandler } from 'fastify';
import type FastifyPluginModule from 'fastify-plugin';
import type { AuthResult } from '../auth/public-types.js';
import type { Tessera } from '../auth/tessera.js';
import { TesseraError } from '../errors.js';
import { AUTH_ROUTES, runAuthRoute } from '../http/auth-routes.js';
import { authenticateOrRefuse } from '../http/authenticate-or-refuse.js';
import { clientIp } from '../http/client-ip.js';
import { bearerChallenge, errorResponse } from '../http/error-response.js';
import type { HttpRequestInfo, HttpResponse } from '../http/http-types.js';
import { withEveryAuthorization } from '../http/raw-headers.js';
import { parseQuery } from '../http/query.js';
import type { QueryParams } from '../http/query.js';
import { BODY_LIMIT_BYTES, parseJsonBody } from '../http/read-json-body.js';
import { requireOptionalPeer } from '../require-optional-peer.js';

/**
 * Options of the Fastify plugin ({@link tesseraFastify}): the auth service, where its routes
 * go (or none), and how many proxies to trust for client addresses.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { tesseraFastify } from 'tessera/fastify'
 * import type { TesseraFastifyOptions } from 'tessera/fastify'
 *
 * const app = Fastify()
 * // Hooks only (the auth API is served by another app), behind one reverse proxy.
 * const options: TesseraFastifyOptions = { auth, routePrefix: false, trustProxyHops: 1 }
 * await app.register(tesseraFastify, options)
 * ```
 */
export interface TesseraFastifyOptions {
  auth: Tessera;
  /** Where the auth routes are mounted. Default `/auth`; `false` mounts none (hooks only). */
  routePrefix?: string | false;
  /** Proxy hops whose `X-Forwarded-For` entries are trusted. Default 0 (ignored). */
  trustProxyHops?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireAuth`: who is calling (the auth routes authenticate on their own and leave it unset). */
    auth: AuthResult | null;
  }
  interface FastifyInstance {
    /** A preHandler that answers 401 unless the request is authenticated. */
    requireAuth: preHandlerAsyncHookHandler;
    /** The auth service the plugin was registered with. */
    tessera: Tessera;
  }
}

const HIDDEN_FROM_DOCS = { tags: ['hidden'] } as unknown as FastifySchema;

/**
 * The request facts the framework-free routes need, from a Fastify request (the query string
 * included, parsed by `parseQuery`): for serving an auth route (or your own framework-free
 * handler) outside the plugin's routes.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { AUTH_ROUTES, runAuthRoute } from 'tessera'
 * import { sendResponse, toRequestInfo } from 'tessera/fastify'
 *
 * const app = Fastify()
 * const me = AUTH_ROUTES.find((r) => r.method === 'GET' && r.path === '/me')!
 * app.get('/api/whoami', async (request, reply) => sendResponse(reply, await runAuthRoute(me, auth, toRequestInfo(request, 0))))
 * ```
 */
export function toRequestInfo(request: FastifyRequest, trustProxyHops: number): HttpRequestInfo {
  // Parsed from the raw URL, as the other adapters do (not by Fastify's parser), so every
  // adapter reads the same parameters.
  return requestFacts(request, trustProxyHops, parseQuery(request.url));
}

/** No parameters: for `requireAuth`, which reads credentials and the origin, never the query. */
const NO_QUERY: QueryParams = Object.freeze(Object.create(null) as Record<string, string>);

function requestFacts(request: FastifyRequest, trustProxyHops: number, query: QueryParams): HttpRequestInfo {
  // One object literal with every field: spreading it into a second object to add the query
  // cost 4 to 13 µs of server CPU per request (measured: docs/architecture.md).
  return {
    method: request.method,
    // Every Authorization line, not only the first that Node keeps (two are refused).
    headers: withEveryAuthorization(request.headers, request.raw.rawHeaders),
    body: request.body,
    params: request.params as Record<string, string | undefined>,
    query,
    ip: clientIp(request.socket.remoteAddress, request.headers['x-forwarded-for'], trustProxyHops),
    protocol: request.protocol === 'https' ? 'https' : 'http',
  };
}

/**
 * Writes a framework-free response (status, headers, JSON body) with Fastify's reply: how
 * your own routes answer in the spec's error shape.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { errorResponse, TesseraError } from 'tessera'
 * import { sendResponse } from 'tessera/fastify'
 *
 * const app = Fastify()
 * app.get('/internal/sessions', async (request, reply) => {
 *   if (request.headers['x-internal-key'] !== process.env.INTERNAL_KEY) return sendResponse(reply, errorResponse(new TesseraError('unauthorized')))
 *   return { active: await auth.countActiveSessions() }
 * })
 * ```
 */
export function sendResponse(reply: FastifyReply, response: HttpResponse): FastifyReply {
  reply.code(response.status);
  // for…in, not Object.entries: no array of pairs per response (1,300 instructions of a
  // seen-token `GET /auth/me`, bench/instructions.ts). The headers are a plain object literal.
  const { headers } = response;
  for (const name in headers) reply.header(name, headers[name]!);
  if (response.body === undefined) return reply.send();
  // A string with a JSON content type is sent as is; an object is serialized by Fastify, with
  // the same content type.
  return response.bodyText === undefined ? reply.send(response.body) : reply.type(JSON_CONTENT_TYPE).send(response.bodyText);
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Maps Fastify's own errors (bad JSON, size, media type) to the spec's error shape. */
function frameworkError(error: { statusCode?: number; code?: string }): TesseraError {
  switch (error.statusCode) {
    case 413: return new TesseraError('payload_too_large');
    case 415: return new TesseraError('unsupported_media_type');
    case 404: return new TesseraError('not_found');
    case 405: return new TesseraError('method_not_allowed');
    case 400: return new TesseraError('invalid_request', { message: error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code?.startsWith('FST_ERR_CTP') ? 'The body is not valid JSON.' : 'The request is malformed.' });
    default: return new TesseraError('internal_error', { cause: error });
  }
}

/**
 * Makes a Fastify instance (or an encapsulated scope) take request bodies by the auth API's
 * rules, which every adapter shares: JSON (`application/json` or `application/*+json`) in UTF-8
 * decoded strictly, uncompressed, at most 16 KiB; an empty body is no body. One parser takes
 * every body, replacing the instance's others: Fastify's own JSON parser takes other charsets
 * and replaces invalid UTF-8 (two different passwords would become one), and an application's
 * form or catch-all parser would reach the routes too. Refusals are `TesseraError`s (415, 413,
 * 400) for the error handler. The plugin applies it to its own routes.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { jsonBodyRules } from 'tessera/fastify'
 *
 * const app = Fastify()
 * jsonBodyRules(app) // your routes take bodies as the auth API does
 * app.post('/notes', async (request) => ({ saved: request.body }))
 * ```
 */
export function jsonBodyRules(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (request, bytes, done) => {
    try {
      done(null, parseJsonBody({ contentType: request.headers['content-type'], contentEncoding: request.headers['content-encoding'] }, bytes as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

async function tesseraPlugin(app: FastifyInstance, options: TesseraFastifyOptions): Promise<void> {
  const { auth } = options;
  const hops = options.trustProxyHops ?? 0;
  app.decorateRequest('auth', null);
  app.decorate('tessera', auth);
  app.decorate('requireAuth', async function requireAuth(request: FastifyRequest, reply: FastifyReply) {
    // 401 when anonymous, 503 when the store cannot answer, and the CSRF check when the
    // session cookie (an ambient credential) authenticates a state-changing request.
    const check = await authenticateOrRefuse(auth, requestFacts(request, hops, NO_QUERY));
    if (check.result) request.auth = check.result;
    if (check.refusal) await sendResponse(reply, check.refusal);
  });

  if (options.routePrefix === false) return;
  const prefix = options.routePrefix ?? '/auth';
  await app.register(async (scope) => {
    // The spec's body rules hold whatever the application configured elsewhere.
    jsonBodyRules(scope);
    // An unknown path under the prefix is the spec's 404, not Fastify's default shape.
    scope.setNotFoundHandler((_request, reply) => sendResponse(reply, errorResponse(new TesseraError('not_found'))));
    scope.setErrorHandler((error, request, reply) => {
      const e = error instanceof TesseraError ? error : frameworkError(error as { statusCode?: number; code?: string });
      if (e.status >= 500) request.log.error({ err: error }, 'auth route failed');
      return sendResponse(reply, errorResponse(e));
    });
    const byPath = new Map<string, string[]>();
    for (const route of AUTH_ROUTES) {
      byPath.set(route.path, [...(byPath.get(route.path) ?? []), route.method]);
      scope.route({
        method: route.method,
        url: route.path,
        // Bodies and queries are validated framework-free (strict Ajv in runAuthRoute); the
        // schemas are attached for documentation, not for Fastify's coercing validator.
        schema: { ...(route.bodySchema ? { body: route.bodySchema } : {}), ...(route.querySchema ? { querystring: route.querySchema } : {}) },
        validatorCompiler: () => () => true,
        bodyLimit: BODY_LIMIT_BYTES,
        handler: async (request, reply) => {
          const response = await runAuthRoute(route, auth, toRequestInfo(request, hops));
          if (response.status >= 500) request.log.error('auth route failed');
          return sendResponse(reply, response);
        },
      });
    }
    for (const [path, methods] of byPath) {
      const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
      // Every method Fastify routes (TRACE and QUERY too), not only the common seven.
      const others = scope.supportedMethods.filter((m) => !allowed.includes(m));
      scope.route({
        method: others as unknown as string[],
        url: path,
        // Not part of the API: kept out of OpenAPI documents (@fastify/swagger's hiddenTag).
        schema: HIDDEN_FROM_DOCS,
        handler: async (_request, reply) => {
          reply.header('allow', allowed.join(', '));
          return sendResponse(reply, errorResponse(new TesseraError('method_not_allowed')));
        },
      });
    }
  }, { prefix });
}

/**
 * Fastify plugin: mounts the auth routes under a prefix, decorates `request.auth`, and
 * offers `app.requireAuth` as a preHandler for your own routes.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { tesseraFastify } from 'tessera/fastify'
 *
 * const app = Fastify()
 * await app.register(tesseraFastify, { auth }) // POST /auth/login, GET /auth/me, …
 * app.get('/private', { preHandler: app.requireAuth }, async (req) => ({ hello: req.auth }))
 * ```
 */
export const tesseraFastify = requireOptionalPeer<typeof FastifyPluginModule>('fastify-plugin', 'tessera/fastify', 'fastify-plugin@5')(
  tesseraPlugin,
  { fastify: '5.x', name: 'tessera' },
);

/** The 401 challenge header value, for your own handlers. */
export { bearerChallenge };

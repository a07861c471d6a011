import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { createTessera, errorResponse, TesseraError } from 'tessera';
import type { Clock, PasswordHasher, Tessera, TesseraEvent } from 'tessera';
import { jsonBodyRules, sendResponse, tesseraFastify } from 'tessera/fastify';
import { AccessLog } from './access-log.js';
import type { ServerConfig } from './config.js';
import { createLogger, stdoutDestination, TesseraLogController } from './logger.js';
import { withLazyChildren } from './lazy-logger.js';
import type { TesseraMetrics } from './metrics.js';
import { createMetrics } from './metrics.js';
import { registerRevocationsRoute } from './revocations-route.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerDevOutbox } from './dev-outbox-route.js';
import { refuseOtherMethods } from './method-not-allowed.js';
import { createServerMail } from './mail.js';
import { tesseraOptionsFrom } from './tessera-options.js';
import { openStores } from './stores.js';
import { registerOpenApi } from './openapi.js';
import { registerUi } from './ui-routes.js';

/** The server's version, shown in the OpenAPI document. */
export const SERVER_VERSION = '0.1.0';

/** The largest request body accepted (spec: 16 KiB, then 413). */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * How long the server waits on a client: the defence against clients that hold connections
 * open by sending or reading slowly (docs/security.md, "Slow clients").
 */
export interface HttpTimeouts {
  /** The request line and headers must arrive within this; then 400 and the connection closes. */
  headersMs: number;
  /** The whole request, headers and body, must arrive within this; then 400 and the connection closes. */
  requestMs: number;
  /** How often Node compares the requests in progress with their deadlines: a late request is refused up to this much after its deadline. */
  checkIntervalMs: number;
  /** A connection on which nothing is read or written for this long is closed, in the middle of a response too (a client that stops reading). */
  idleMs: number;
  /** A kept-alive connection that sends no next request for this long is closed. */
  keepAliveMs: number;
}

/** The server's {@link HttpTimeouts}. */
export const HTTP_TIMEOUTS: Readonly<HttpTimeouts> = Object.freeze({
  headersMs: 10_000,
  requestMs: 30_000,
  checkIntervalMs: 5_000,
  idleMs: 60_000,
  keepAliveMs: 72_000,
});

/** Things tests may replace. */
export interface ServerDependencies {
  logStream?: DestinationStream;
  clock?: Clock;
  passwordHasher?: PasswordHasher;
  /** Shorter timeouts, for tests of slow clients that should not take a minute. */
  httpTimeouts?: Partial<HttpTimeouts>;
}

/** A built server: the Fastify app, the auth service, and how to stop both. */
export interface TesseraServer {
  app: FastifyInstance;
  auth: Tessera;
  metrics: TesseraMetrics;
  close(): Promise<void>;
}

function recordEvent(metrics: TesseraMetrics, event: TesseraEvent): void {
  switch (event.type) {
    case 'sign_in':
      metrics.loginAttempts.inc({ mode: event.mode, outcome: event.outcome });
      if (event.outcome === 'success') metrics.sessionsCreated.inc({ mode: event.mode });
      break;
    case 'token_verification':
      metrics.countTokenVerification(event.outcome);
      break;
    case 'refresh_reuse_detected':
      metrics.refreshReuseDetected.inc();
      break;
    case 'rate_limited':
      metrics.rateLimited.inc();
      break;
    case 'sessions_ended':
      metrics.revocations.inc({ reason: event.reason }, event.sessionIds.length);
      break;
    case 'password_hash':
      metrics.passwordHashDuration.observe(event.seconds);
      break;
    case 'store_operation':
      metrics.observeStoreOperation(event.store, event.op, event.seconds, event.ok);
      break;
    case 'mail':
      metrics.mail.inc({ kind: event.kind, outcome: event.outcome });
      break;
    default:
      break;
  }
}


/**
 * Builds the auth server: the store, the auth service, the HTTP API of the spec, health,
 * metrics and the web UI. Does not listen; the caller does (or uses `inject`).
 */
export async function buildServer(config: ServerConfig, deps: ServerDependencies = {}): Promise<TesseraServer> {
  const logOptions = { level: config.logLevel, destination: deps.logStream ?? stdoutDestination() };
  const logger = createLogger(logOptions);
  const stores = await openStores(config, (error) => logger.warn({ err: error }, 'store connection error'));
  const metrics = createMetrics();
  const mail = createServerMail(config, stores.store, deps.clock);
  // A start that fails here must not leave the stores open: a Redis client (or a pool of
  // PostgreSQL connections) would keep the process alive after its error was reported.
  const auth = await createTessera({
    ...tesseraOptionsFrom(config, stores.store, stores.clusterBus, mail.mailer),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.passwordHasher ? { passwordHasher: deps.passwordHasher } : {}),
    onEvent: (event) => {
      recordEvent(metrics, event);
      // Mail leaves off the request path: a failure shows here and in tessera_mail_total, never
      // in a response. The error code only: an SMTP message may quote the recipient.
      if (event.type === 'mail' && event.outcome !== 'sent') logger.warn({ kind: event.kind, outcome: event.outcome, code: event.errorCode }, 'account mail not delivered');
    },
  }).catch(async (error: unknown) => {
    await stores.close();
    throw error;
  });
  metrics.attach(auth);
  // The purge timer first fires a purge interval (10 min) after start, so a server that
  // restarts more often than that (a crash loop) would never delete expired and revoked rows:
  // purge once at start too, in the background.
  auth.purgeExpired().catch((error: unknown) => logger.warn({ err: error }, 'purge at start failed'));

  const timeouts = { ...HTTP_TIMEOUTS, ...deps.httpTimeouts };
  const accessLog = new AccessLog(config.accessLog ? config.logLevel : 'silent', logOptions.destination);
  const app = Fastify({
    // Request loggers become pino children only when they write (lazy-logger.ts).
    loggerInstance: withLazyChildren(logger),
    bodyLimit: BODY_LIMIT_BYTES,
    // Client addresses are derived by Tessera's own trusted-hops rule (TESSERA_TRUST_PROXY).
    trustProxy: false,
    // One access line per request, joined from its parts (access-log.ts); none with
    // TESSERA_ACCESS_LOG=false.
    logController: new TesseraLogController(accessLog),
    // The router's own refusals (a badly encoded URL, an over-long parameter) in the spec's shape.
    frameworkErrors: (error, _request, reply) => {
      const code = (error as { code?: string }).code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'not_found' : 'invalid_request';
      return sendResponse(reply, errorResponse(new TesseraError(code)));
    },
    // Requests Node's HTTP parser refuses (smuggling attempts, broken request lines, oversized
    // headers) never reach a route: answer them in the spec's shape too, then close.
    clientErrorHandler: (error, socket) => {
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const tooLarge = (error as NodeJS.ErrnoException).code === 'HPE_HEADER_OVERFLOW';
      // A request that did not arrive by its deadline (headersMs, requestMs): a slow or
      // stalled client. 400, not Node's 408: the spec's codes pair invalid_request with 400,
      // and a status of its own would need a code the spec does not have.
      const late = (error as NodeJS.ErrnoException).code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const message = tooLarge ? 'The request headers are too large.' : late ? 'The request did not arrive in time.' : 'The request is malformed.';
      const body = JSON.stringify(new TesseraError('invalid_request', { message }).toJSON());
      socket.end(`HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n${body}`);
    },
    // While closing, a request that arrives on a kept-alive connection is served, with
    // `Connection: close` (Fastify adds it), rather than answered by Fastify's own 503, a body
    // outside the spec's shape without Retry-After: the stores close only after the server has,
    // and the client moves to another instance for its next request.
    return503OnClosing: false,
    // The idle timer, re-armed per request by Node, costs about 3,000 instructions of a
    // seen-token `GET /auth/me` (bench/README.md, "What the server's extras cost"); the
    // deadlines are checked by one timer for all connections.
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Both deadlines go to Node's constructor (`http`): on Node 20 a body that trickles in is
    // cut at the request deadline only when the headers deadline is no later, and Node's
    // default for headers is 60 s (with Fastify's `requestTimeout` alone, a body sent a byte
    // at a time held its connection for 60 s, not 30: slow-clients.test.ts). Fastify assigns
    // its own `requestTimeout` to the server after construction, so it gets the same value.
    requestTimeout: timeouts.requestMs,
    http: { headersTimeout: timeouts.headersMs, requestTimeout: timeouts.requestMs, connectionsCheckingInterval: timeouts.checkIntervalMs },
  });

  // An `Expect` other than 100-continue: Node answers 417 with an empty body unless told
  // otherwise. The spec's shape instead, and 400 as for the other requests refused before
  // routing (the spec has no code of its own for it).
  app.server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const body = JSON.stringify(new TesseraError('invalid_request', { message: 'The Expect header is not supported.' }).toJSON());
    response.writeHead(400, {
      'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store',
      'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', connection: 'close',
    });
    response.end(body);
  });
  // Every route takes bodies by the auth API's rules (JSON in strict UTF-8, uncompressed,
  // 16 KiB), the admin API included.
  jsonBodyRules(app);
  // An https issuer says where browsers reach this server: tell them to come back over https
  // only (a year; not subdomains, which may be other services'). Not on http, where it is
  // ignored anyway, so development on http://localhost pays nothing for it.
  const hsts = new URL(config.issuer).protocol === 'https:';
  // Callback-style hooks: they run on every response, and an async hook costs a promise and a
  // microtask turn each.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (hsts) reply.header('strict-transport-security', 'max-age=31536000');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeHttpRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.setNotFoundHandler((_request, reply) => sendResponse(reply, errorResponse(new TesseraError('not_found'))));
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    // A TesseraError (a body refused by jsonBodyRules) has its own status; only a failure
    // that is neither it nor a 4xx of Fastify's is logged as one.
    const status = error instanceof TesseraError ? error.status : error.statusCode ?? 500;
    const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : status === 503 ? 'unavailable' : status >= 400 && status < 500 ? 'invalid_request' : 'internal_error';
    if (code === 'internal_error') request.log.error({ err: error }, 'request failed');
    return sendResponse(reply, errorResponse(error instanceof TesseraError ? error : new TesseraError(code)));
  });

  await registerOpenApi(app, SERVER_VERSION, auth.cookieNames.session);
  await app.register(tesseraFastify, { auth, routePrefix: '/auth', trustProxyHops: config.trustProxyHops });

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    // Short cache: a rotated key is published 60 s before it signs, and verifiers that meet
    // an unknown kid re-fetch anyway.
    reply.header('cache-control', 'public, max-age=30');
    return auth.jwks();
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await auth.ready();
      return { status: 'ready' };
    } catch (error) {
      return sendResponse(reply, errorResponse(error instanceof TesseraError ? error : new TesseraError('unavailable', { retryAfterSeconds: 1 })));
    }
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.render();
  });
  registerRevocationsRoute(app, auth, config.serviceKeys);
  registerAdminRoutes(app, auth, config.adminKeys);
  if (mail.mode === 'outbox') {
    logger.warn({ outboxHttp: config.devOutboxHttp }, 'mail is not sent: development outbox (set TESSERA_SMTP_URL to send mail; read it with "tessera mail list")');
    if (config.devOutboxHttp) registerDevOutbox(app, stores.store);
  }
  registerUi(app, auth, { adminKeysConfigured: config.adminKeys.length > 0 });
  for (const url of ['/.well-known/jwks.json', '/healthz', '/readyz', '/metrics', '/', '/ui/app.js', '/ui/app.css', '/auth/revocations', '/docs', '/docs/*']) {
    refuseOtherMethods(app, url, ['GET']);
  }

  return {
    app,
    auth,
    metrics,
    async close() {
      await app.close();
      accessLog.flush();
      await auth.close();
      mail.close();
      await stores.close();
    },
  };
}

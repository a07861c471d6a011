/**
 * Logging: pino with redaction of every credential-bearing field, and request/response
 * serializers that keep only what operations need. Secrets and tokens never reach a log:
 * - fields named like a credential (see {@link SECRET_FIELD_NAMES}) are censored at the top
 *   level and up to three objects deep (`password`, `body.password`, `req.body.password`,
 *   `a.b.c.password`), in arrays too;
 * - the `req` serializer logs only method, path (the query string is dropped: tokens sent as
 *   `?token=` must not be logged) and remote address; `res` only the status code. Headers
 *   are never serialized; should a raw `headers` object be logged anyway, `authorization`,
 *   `cookie` and `set-cookie` are censored;
 * - {@link TesseraLogController} writes one access line per request, built from those same
 *   fields only, in place of Fastify's two (and of its "Route GET:/x?token=… not found" line,
 *   which would log the raw URL with its query string).
 */
import { LogController } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import pino from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';
import type { AccessLog } from './access-log.js';
import type { LogLevel } from './config.js';

/** What replaces a redacted value. */
export const REDACTED = '[redacted]';

/** Field names whose values are always censored, whatever object holds them. */
export const SECRET_FIELD_NAMES = Object.freeze([
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'refreshToken',
  'refresh_token',
  'accessToken',
  'access_token',
  'idToken',
  'id_token',
  'sessionToken',
  'token',
  'secret',
  'clientSecret',
  'client_secret',
  'serviceKey',
  'serviceKeys',
  'privateKey',
  'authorization',
  'cookie',
  'set-cookie',
] as const);

/** Path segment for a field name: bracket notation when it is not a plain identifier. */
function segment(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `["${name}"]`;
}

/** The pino `redact.paths`: each secret field at depth 0 to 3, plus the explicit header paths. */
export const REDACT_PATHS: readonly string[] = Object.freeze([
  ...SECRET_FIELD_NAMES.flatMap((name) => {
    const seg = segment(name);
    const top = seg.startsWith('.') ? seg.slice(1) : seg;
    return [top, `*${seg}`, `*.*${seg}`, `*.*.*${seg}`];
  }),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
]);

/** The longest path logged; longer paths are cut (a log line is not a storage). */
const MAX_LOGGED_URL = 2048;

/**
 * Strips the query string, the fragment and path parameters (`;jsessionid=…`, the classic
 * place a session id is rewritten into a URL) of a request URL and bounds its length.
 */
export function loggablePath(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const cut = url.search(/[?#;]/);
  const path = cut === -1 ? url : url.slice(0, cut);
  return path.length > MAX_LOGGED_URL ? `${path.slice(0, MAX_LOGGED_URL)}…` : path;
}

// Type aliases, not interfaces: Fastify's serializer types want an index signature.
/** The fields of a request that may be logged. */
export type LoggedRequest = {
  method: string | undefined;
  url: string | undefined;
  remoteAddress: string | undefined;
};

/** The fields of a response that may be logged. */
export type LoggedResponse = {
  statusCode: number | undefined;
};

interface RequestLike {
  method?: unknown;
  url?: unknown;
  ip?: unknown;
  socket?: { remoteAddress?: unknown } | null;
}

/** Request serializer: method, URL path without query string, remote address. Nothing else. */
export function serializeRequest(req: unknown): LoggedRequest {
  const r = (typeof req === 'object' && req !== null ? req : {}) as RequestLike;
  const ip = typeof r.ip === 'string' ? r.ip : r.socket?.remoteAddress;
  return {
    method: typeof r.method === 'string' ? r.method : undefined,
    url: loggablePath(r.url),
    remoteAddress: typeof ip === 'string' ? ip : undefined,
  };
}

/** Response serializer: the status code only (never headers: they carry Set-Cookie). */
export function serializeResponse(res: unknown): LoggedResponse {
  const code = typeof res === 'object' && res !== null ? (res as { statusCode?: unknown }).statusCode : undefined;
  return { statusCode: typeof code === 'number' ? code : undefined };
}

const serializers = {
  req: serializeRequest,
  res: serializeResponse,
  err: pino.stdSerializers.err,
};

const redact = { paths: [...REDACT_PATHS], censor: REDACTED };

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  level: LogLevel;
  /** Where lines go; stdout when omitted. Tests pass a stream to capture output. */
  destination?: DestinationStream;
}

/** A pino logger with Tessera's redaction and serializers. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const opts: LoggerOptions = { level: options.level, redact, serializers };
  return options.destination === undefined ? pino(opts) : pino(opts, options.destination);
}

/**
 * Standard output as pino writes it by default, made once so that the logger and the access
 * log share it (one stream: their lines never interleave mid-line).
 */
export function stdoutDestination(): DestinationStream {
  return pino.destination(1);
}

/** The options object for Fastify's `logger` setting. */
export interface FastifyLoggerConfig {
  level: LogLevel;
  redact: { paths: string[]; censor: string };
  serializers: {
    req: (req: unknown) => LoggedRequest;
    res: (res: unknown) => LoggedResponse;
    err: typeof pino.stdSerializers.err;
  };
  stream?: DestinationStream;
}

/**
 * Options for `Fastify({ logger: fastifyLoggerOptions(config.logLevel) })`: the same
 * redaction and serializers as {@link createLogger}, Fastify's own `req`/`res` serializers
 * replaced (they would log the query string and the port).
 */
export function fastifyLoggerOptions(level: LogLevel, stream?: DestinationStream): FastifyLoggerConfig {
  const config: FastifyLoggerConfig = { level, redact: { paths: [...REDACT_PATHS], censor: REDACTED }, serializers: { ...serializers } };
  if (stream !== undefined) config.stream = stream;
  return config;
}

/**
 * Fastify's log controller, with one access line per request on completion (Fastify writes
 * two, "incoming request" and "request completed") through the {@link AccessLog}:
 * `{reqId, req: {method, url, remoteAddress}, res: {statusCode}, responseTime}` with the
 * path's query string dropped. A request that ends in an error is logged by Fastify's own
 * way, through the request's redacting logger. A request that matches no route gets its access
 * line (status 404) and no second line: Fastify's `Route GET:/x?token=… not found` would log
 * the raw URL with its query string. Use: `Fastify({ logController: new TesseraLogController(new AccessLog(level, destination)) })`.
 */
export class TesseraLogController extends LogController {
  readonly #access: AccessLog;

  constructor(access: AccessLog) {
    super();
    this.#access = access;
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error) {
      super.requestCompleted(error, request, reply, metadata);
      return;
    }
    if (!this.#access.enabled || this.isLogDisabled(request)) return;
    this.#access.write({ reqId: request.id, req: serializeRequest(request), statusCode: reply.statusCode, responseTime: reply.elapsedTime });
  }

  override routeNotFound(): void {}
}

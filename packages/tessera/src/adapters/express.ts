import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthResult } from '../auth/public-types.js';
import type { Tessera } from '../auth/tessera.js';
import { TesseraError } from '../errors.js';
import { authenticateOrRefuse } from '../http/authenticate-or-refuse.js';
import { clientIp } from '../http/client-ip.js';
import { dispatchAuthRequest, matchAuthRoute, normalizePrefix } from '../http/dispatch-auth-request.js';
import { bearerChallenge, errorResponse } from '../http/error-response.js';
import type { HttpResponse } from '../http/http-types.js';
import { withEveryAuthorization } from '../http/raw-headers.js';
import type { JsonBodySource } from '../http/read-json-body.js';

// Express is an optional peer: this module only imports its types, so nothing is loaded at
// run time and Express 5 (or 4) is whatever the application installed.

declare global {
  // Express's own augmentation point for request properties (as passport uses it).
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by Tessera's `requireAuth`: who is calling. */
      auth?: AuthResult;
    }
  }
}

/**
 * Options of {@link tesseraExpress}: the auth service, where its routes answer, and how many
 * proxies to trust for client addresses.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { tesseraExpress } from 'tessera/express'
 * import type { TesseraExpressOptions } from 'tessera/express'
 *
 * const options: TesseraExpressOptions = { auth, trustProxyHops: 1 } // behind one reverse proxy
 * express().use(tesseraExpress(options))
 * ```
 */
export interface TesseraExpressOptions {
  auth: Tessera;
  /**
   * The path the auth routes answer under, matched against the full path (`req.baseUrl +
   * req.path`), so it does not matter where the middleware is mounted. Default `/auth`. The
   * refresh cookie is scoped to `/auth/refresh`: keep the default for cookie-based refresh.
   */
  routePrefix?: string;
  /** Proxy hops whose `X-Forwarded-For` entries are trusted. Default 0 (ignored). */
  trustProxyHops?: number;
}

/**
 * The middleware that {@link tesseraExpress} returns: pass it to `app.use()` as is (Express
 * flattens the array). Its second element turns body-parser errors on the auth paths (when
 * `express.json()` runs first and meets bad JSON) into the spec's error shape.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { tesseraExpress } from 'tessera/express'
 * import type { TesseraExpress } from 'tessera/express'
 *
 * const tessera: TesseraExpress = tesseraExpress({ auth })
 * const app = express()
 * app.use(tessera)
 * app.delete('/notes/:id', tessera.requireAuth, (req, res) => { res.sendStatus(204) })
 * ```
 */
export interface TesseraExpress extends Array<RequestHandler | ErrorRequestHandler> {
  /** Middleware for your own routes: sets `req.auth`, or answers 401 (503 on a store outage). */
  readonly requireAuth: RequestHandler;
}

/** The scheme as Express sees it (its own `trust proxy` setting decides X-Forwarded-Proto). */
function protocolOf(req: Request): 'http' | 'https' {
  return req.protocol === 'https' ? 'https' : 'http';
}

/** The `?…` part of a request target, or '' (Express's own `req.query` parser varies by version and settings). */
function querySuffix(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at);
}

/** True once another middleware (a body parser) has read the request stream. */
function bodyConsumed(req: IncomingMessage): boolean {
  return req.readableEnded || (req.complete && !req.readable);
}

/** Reads a Node request body, giving up (and discarding the rest) past `limitBytes`. */
function readNodeBody(req: IncomingMessage, limitBytes: number): Promise<Uint8Array | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    function onData(chunk: Buffer): void {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
      else {
        // Not destroyed: the 413 must still reach the client. The rest flows to nowhere.
        done();
        resolve('too_large');
      }
    }
    function onEnd(): void {
      done();
      resolve(Buffer.concat(chunks));
    }
    function onError(error: Error): void {
      done();
      reject(error);
    }
    function onClose(): void {
      done();
      reject(new Error('The client closed the connection before the body ended.'));
    }
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function bodySource(req: Request): JsonBodySource {
  const h = req.headers;
  return {
    contentType: h['content-type'],
    contentLength: h['content-length'],
    contentEncoding: h['content-encoding'],
    hasBody: h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0'),
    readBytes: (limit) => readNodeBody(req, limit),
    ...(bodyConsumed(req) ? { alreadyRead: { value: (req as { body?: unknown }).body } } : {}),
  };
}

function appendSetCookies(res: ServerResponse, values: readonly string[]): void {
  if (values.length === 0) return;
  const earlier = res.getHeader('set-cookie');
  const before = earlier === undefined ? [] : Array.isArray(earlier) ? earlier : [String(earlier)];
  res.setHeader('set-cookie', [...before, ...values]);
}

/** Writes a framework-free response with Node's API (keeping `Set-Cookie`s set earlier). */
function sendResponse(res: ServerResponse, response: HttpResponse): void {
  if (res.headersSent) return;
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) {
    if (name !== 'set-cookie') {
      res.setHeader(name, value);
      continue;
    }
    appendSetCookies(res, typeof value === 'string' ? [value] : value);
  }
  if (response.body === undefined) {
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(response.bodyText ?? JSON.stringify(response.body));
}

/** Maps a body-parser error (it has a string `type` and a 4xx `status`) to a Tessera error code. */
function bodyParserError(error: unknown): TesseraError | null {
  const e = error as { type?: unknown; status?: unknown; statusCode?: unknown } | null;
  const status = e?.status ?? e?.statusCode;
  if (typeof e?.type !== 'string' || typeof status !== 'number' || status < 400 || status >= 500) return null;
  if (status === 413) return new TesseraError('payload_too_large');
  if (status === 415) return new TesseraError('unsupported_media_type');
  return new TesseraError('invalid_request', { message: e.type === 'entity.parse.failed' ? 'The body is not valid JSON.' : 'The request body could not be read.' });
}

/**
 * Express middleware: answers the auth API under `routePrefix`, and offers `requireAuth` for
 * your routes. Mount it before body parsers (`express.json()`, …): it reads its own bodies by
 * the spec's rules. Behind a parser it still works, with the parser's decoding, and refuses a
 * parsed body that came without `Content-Length` (413: its size can no longer be checked).
 * Requests to other paths go on untouched (their bodies unread).
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { tesseraExpress } from 'tessera/express'
 *
 * const app = express()
 * const tessera = tesseraExpress({ auth })
 * app.use(tessera) // POST /auth/login, GET /auth/me, …
 * app.get('/hello', tessera.requireAuth, (req, res) => {
 *   res.json({ userId: req.auth?.status === 'authenticated' ? req.auth.userId : null })
 * })
 * ```
 */
export function tesseraExpress(options: TesseraExpressOptions): TesseraExpress {
  const { auth } = options;
  const prefix = normalizePrefix(options.routePrefix ?? '/auth');
  const hops = options.trustProxyHops ?? 0;

  const routes: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const pathname = req.baseUrl + req.path;
    if (matchAuthRoute(prefix, pathname, req.method).kind === 'none') {
      next();
      return;
    }
    void dispatchAuthRequest(auth, prefix, {
      method: req.method,
      pathname,
      search: querySuffix(req.originalUrl),
      headers: withEveryAuthorization(req.headers, req.rawHeaders),
      ip: clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], hops),
      protocol: protocolOf(req),
      body: bodySource(req),
    }).then((response) => (response ? sendResponse(res, response) : next()), next);
  };

  const bodyErrors: ErrorRequestHandler = (error: unknown, req: Request, res: Response, next: NextFunction) => {
    const match = matchAuthRoute(prefix, req.baseUrl + req.path, req.method);
    const mapped = match.kind === 'none' ? null : bodyParserError(error);
    if (!mapped || res.headersSent) {
      next(error);
      return;
    }
    // A route that reads no body (GET, or a method it does not allow) answers as if the
    // application's parser had not run: the same 200 or 405 as without it.
    if (match.kind === 'method_not_allowed' || (match.kind === 'route' && match.route.method === 'GET')) {
      routes(req, res, next);
      return;
    }
    sendResponse(res, errorResponse(mapped));
  };

  const requireAuth: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    void authenticateOrRefuse(auth, { method: req.method, headers: withEveryAuthorization(req.headers, req.rawHeaders), protocol: protocolOf(req) }).then((check) => {
      if (check.result) req.auth = check.result;
      if (check.refusal) {
        sendResponse(res, check.refusal);
        return;
      }
      appendSetCookies(res, check.result.setCookies);
      next();
    }, next);
  };

  return Object.assign([routes, bodyErrors], { requireAuth });
}

/** The 401 challenge header value, for your own handlers. */
export { bearerChallenge };

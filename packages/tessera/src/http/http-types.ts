import type { QueryParams } from './query.js';

/**
 * A request as the route handlers see it: plain values, whatever the framework. An adapter
 * builds one per request; so can a test, with no server at all.
 *
 * @example
 * ```ts
 * import { AUTH_ROUTES, runAuthRoute } from 'tessera'
 * import type { HttpRequestInfo } from 'tessera'
 *
 * const request: HttpRequestInfo = {
 *   method: 'POST', headers: { 'content-type': 'application/json' }, params: {},
 *   body: { email: 'ada@example.com', password: 'correct horse battery staple' },
 *   ip: '203.0.113.7', protocol: 'https',
 * }
 * const login = AUTH_ROUTES.find((r) => r.path === '/login')!
 * const response = await runAuthRoute(login, auth, request) // 200 with Set-Cookie, or 401 invalid_credentials
 * ```
 */
export interface HttpRequestInfo {
  method: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: unknown;
  params: Readonly<Record<string, string | undefined>>;
  /** The query string, parsed by `parseQuery` (a repeated parameter is an array); absent means none. */
  query?: QueryParams;
  /** The client address after the trusted-proxy rule. */
  ip: string;
  protocol: 'http' | 'https';
}

/**
 * A response as the route handlers produce it: status, headers (`set-cookie` may be a
 * list) and a JSON body, for the adapter to write.
 *
 * @example
 * ```ts
 * import type { ServerResponse } from 'node:http'
 * import type { HttpResponse } from 'tessera'
 *
 * function send(res: ServerResponse, response: HttpResponse): void {
 *   if (response.body !== undefined) res.setHeader('content-type', 'application/json; charset=utf-8')
 *   res.writeHead(response.status, response.headers)
 *   res.end(response.body === undefined ? undefined : JSON.stringify(response.body))
 * }
 * ```
 */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[]>;
  /** A JSON value, or undefined for an empty body. */
  body?: unknown;
  /**
   * `body` already serialized (`JSON.stringify(body)`), when the route kept a copy: send it as
   * is. Optional: an adapter that ignores it and serializes `body` sends the same bytes.
   */
  bodyText?: string;
}

import type { Tessera } from '../auth/tessera.js';
import { TesseraError } from '../errors.js';
import type { AuthRoute } from './auth-routes.js';
import { AUTH_ROUTES, runAuthRoute } from './auth-routes.js';
import { errorResponse } from './error-response.js';
import type { HttpResponse } from './http-types.js';
import { parseQuery } from './query.js';
import type { JsonBodySource } from './read-json-body.js';
import { readJsonBody } from './read-json-body.js';

/**
 * Routing of the auth API for adapters whose framework does not route it for them (Express
 * middleware, web `Request` handlers): path and method matching, 405 with `Allow`, the body
 * rules, then the framework-free route. The adapter only translates in and out.
 */

/** What the dispatcher needs from a request: strings, and a way to read the body. */
export interface AuthRequest {
  method: string;
  /** The URL path as sent (percent-encoded), without the query string. */
  pathname: string;
  /** The query string with its `?` (`?limit=5`), or '' / absent when there is none. */
  search?: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The client address after the trusted-proxy rule. */
  ip: string;
  protocol: 'http' | 'https';
  body: JsonBodySource;
}

/** Where a path and method lead in the auth API. */
export type AuthRouteMatch =
  | { kind: 'route'; route: AuthRoute; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[] }
  | { kind: 'none' };

/** Normalises a mount prefix: leading slash, no trailing slash (`''` is the root). */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) {
      if (g === '') return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null; // malformed percent-encoding names no resource
      }
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

/** Finds the auth route for `method` and `pathname` under `prefix` (see {@link normalizePrefix}). */
export function matchAuthRoute(prefix: string, pathname: string, method: string): AuthRouteMatch {
  if (!pathname.startsWith(`${prefix}/`)) return { kind: 'none' };
  const rest = pathname.slice(prefix.length);
  const upper = method.toUpperCase();
  const allow: string[] = [];
  for (const route of AUTH_ROUTES) {
    const params = matchPath(route.path, rest);
    if (!params) continue;
    if (route.method === upper || (upper === 'HEAD' && route.method === 'GET')) return { kind: 'route', route, params };
    allow.push(route.method);
    if (route.method === 'GET') allow.push('HEAD');
  }
  return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'none' };
}

/** The 405 of the spec, with the `Allow` header (RFC 9110 §15.5.6). */
export function methodNotAllowed(allow: readonly string[]): HttpResponse {
  const response = errorResponse(new TesseraError('method_not_allowed'));
  response.headers.allow = allow.join(', ');
  return response;
}

/**
 * Answers one request to the auth API mounted at `prefix`, or returns `null` when the path is
 * none of its routes (the framework goes on: next middleware, or its own 404). Never throws:
 * every failure is already the spec's error response.
 */
export async function dispatchAuthRequest(auth: Tessera, prefix: string, request: AuthRequest): Promise<HttpResponse | null> {
  const match = matchAuthRoute(prefix, request.pathname, request.method);
  if (match.kind === 'none') return null;
  if (match.kind === 'method_not_allowed') return methodNotAllowed(match.allow);
  let body: unknown;
  if (match.route.method !== 'GET') {
    try {
      body = await readJsonBody(request.body);
    } catch (error) {
      return errorResponse(error);
    }
  }
  return runAuthRoute(match.route, auth, {
    method: request.method,
    headers: request.headers,
    body,
    params: match.params,
    query: parseQuery(request.search ?? ''),
    ip: request.ip,
    protocol: request.protocol,
  });
}

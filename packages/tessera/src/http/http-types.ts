import type { QueryParams } from './query.js';

/** A request as the route handlers see it: plain values, whatever the framework. */
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

/** A response as the route handlers produce it. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[]>;
  /** A JSON value, or undefined for an empty body. */
  body?: unknown;
}

/**
 * A parsed query string: each parameter a string, or an array of strings when repeated, so
 * a handler must decide what a repeated parameter means instead of silently taking one.
 *
 * @example
 * ```ts
 * import { parseQuery } from 'tessera'
 * import type { QueryParams } from 'tessera'
 *
 * function limitOf(query: QueryParams): number | undefined {
 *   const limit = query.limit
 *   return typeof limit === 'string' && /^\d{1,4}$/.test(limit) ? Number(limit) : undefined // arrays and junk refused
 * }
 * limitOf(parseQuery('/auth/audit?limit=20')) // 20
 * ```
 */
export type QueryParams = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Parses the query part of a request target (`/auth/audit?limit=5`, or `?limit=5`)
 * the same way in every adapter: `application/x-www-form-urlencoded` rules (URLSearchParams:
 * `+` is a space, malformed escapes become U+FFFD, never an exception). A repeated parameter
 * keeps every value, so a route can refuse it rather than pick one. No prototype: a
 * `__proto__` parameter is only a name.
 *
 * @example
 * ```ts
 * import { parseQuery } from 'tessera'
 *
 * parseQuery('/auth/audit?limit=20&before=917') // { limit: '20', before: '917' }
 * parseQuery('?tag=a&tag=b').tag // ['a', 'b']
 * ```
 */
export function parseQuery(target: string): QueryParams {
  const at = target.indexOf('?');
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  // Most requests have no query: skip URLSearchParams, the costly part.
  if (at === -1 || at === target.length - 1) return out;
  const search = target.slice(at + 1);
  for (const [name, value] of new URLSearchParams(search)) {
    const prev = out[name];
    // Appended in place: a copy per repeat made a URL of 8,000 repeats cost 50 ms.
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

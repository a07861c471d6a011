import { parse as parseCookieHeader, serialize as serializeCookie } from 'cookie';

/**
 * Cookie names and attributes. With Secure (the default) the session cookie carries the
 * `__Host-` prefix, which browsers only accept with Secure, Path=/ and no Domain: a sibling
 * subdomain cannot plant or overwrite it (cookie tossing, session fixation). The refresh
 * cookie is scoped to the refresh path, so it can only carry the `__Secure-` prefix.
 */

/** Path the refresh cookie is scoped to. */
export const REFRESH_COOKIE_PATH = '/auth/refresh';

/**
 * The cookie names in force for a Secure or non-Secure deployment (`auth.cookieNames`), for
 * code that reads or clears the credentials outside the adapters.
 *
 * @example
 * ```ts
 * import type { CookieNames } from 'tessera'
 *
 * const names: CookieNames = auth.cookieNames
 * const hasSessionCookie = (cookieHeader: string) => cookieHeader.split(';').some((c) => c.trim().startsWith(`${names.session}=`))
 * ```
 */
export interface CookieNames {
  session: string;
  refresh: string;
}

/**
 * Cookie names for the given `Secure` setting: the `__Host-`/`__Secure-` prefixes need
 * HTTPS, so plain-HTTP development gets unprefixed names.
 *
 * @example
 * ```ts
 * import { cookieNames } from 'tessera'
 *
 * cookieNames(true) // { session: '__Host-tessera_session', refresh: '__Secure-tessera_refresh' }
 * cookieNames(false) // { session: 'tessera_session', refresh: 'tessera_refresh' }
 * ```
 */
export function cookieNames(secure: boolean): CookieNames {
  return secure
    ? { session: '__Host-tessera_session', refresh: '__Secure-tessera_refresh' }
    : { session: 'tessera_session', refresh: 'tessera_refresh' };
}

/** `Set-Cookie` for a session credential that lives `maxAgeSeconds`. */
export function sessionCookie(names: CookieNames, secure: boolean, value: string, maxAgeSeconds: number): string {
  return serializeCookie(names.session, value, {
    httpOnly: true, secure, sameSite: 'lax', path: '/', maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  });
}

/** `Set-Cookie` for a refresh token, sent back only to the refresh endpoint. */
export function refreshCookie(names: CookieNames, secure: boolean, value: string, maxAgeSeconds: number, path = REFRESH_COOKIE_PATH): string {
  return serializeCookie(names.refresh, value, {
    httpOnly: true, secure, sameSite: 'strict', path, maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  });
}

/** `Set-Cookie` headers that delete both credentials. */
export function clearedCookies(names: CookieNames, secure: boolean, refreshPath = REFRESH_COOKIE_PATH): string[] {
  return [sessionCookie(names, secure, '', 0), refreshCookie(names, secure, '', 0, refreshPath)];
}

/** The value of one cookie, or what stands in its way. */
export type CookieLookup =
  | { status: 'absent' }
  | { status: 'present'; value: string }
  /** Sent more than once: refused rather than guessing which one the browser meant. */
  | { status: 'ambiguous' };

/** Reads one cookie from a `Cookie` header (or several joined headers). */
export function readCookie(header: string | readonly string[] | undefined, name: string): CookieLookup {
  if (header === undefined) return { status: 'absent' };
  const text = typeof header === 'string' ? header : header.join('; ');
  if (!text.includes(name)) return { status: 'absent' };
  let count = 0;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) count++;
  }
  if (count === 0) return { status: 'absent' };
  if (count > 1) return { status: 'ambiguous' };
  const value = parseCookieHeader(text)[name];
  return value === undefined ? { status: 'absent' } : { status: 'present', value };
}

// What the HTTP tests (test/http/*.test.ts) share: a request function that fails on any 5xx,
// the spec's error shape, Set-Cookie parsing, signed-in devices whose credentials are kept
// for the log check, and that log check itself.
import assert from 'node:assert/strict';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { body, GOOD_PASSWORD, signIn, signUpAndIn } from './test-server.js';
import type { TestServer } from './test-server.js';

import { SESSION_COOKIE } from './spec-contract.js';

export { REFRESH_COOKIE, SESSION_COOKIE } from './spec-contract.js';
/** An ISO 8601 UTC timestamp with milliseconds, as the API writes them. */
export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** The JWK members that hold private or symmetric key material. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

export type Call = (options: InjectOptions) => Promise<LightMyRequestResponse>;
type Headers = Record<string, string>;

/**
 * Requests to the server that `server()` returns when a request is made (so it may be started
 * in a `before` hook): `call` injects and fails on any 5xx; `me` and `refresh` are the two
 * requests most tests make.
 */
export function httpClient(server: () => TestServer) {
  const call: Call = async (options) => {
    const res = await server().app.inject(options);
    assert.ok(res.statusCode < 500, `${options.method ?? 'GET'} ${options.url} answered ${res.statusCode}: ${res.body}`);
    return res;
  };
  return {
    call,
    /** GET /auth/me (or another GET url) with these headers. */
    me: (headers: Headers, url = '/auth/me') => call({ method: 'GET', url, headers }),
    /** POST /auth/refresh with the refresh token in the body. */
    refresh: (refreshToken: string) => call({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } }),
  };
}

/** Exactly {error:{code,message}}, JSON, a non-empty message, and the status that goes with the code. */
export function assertError(res: LightMyRequestResponse, status: number, code: string, context = ''): void {
  assert.equal(res.statusCode, status, `${context} ${res.body.slice(0, 200)}`);
  assert.match(String(res.headers['content-type']), /^application\/json/, context);
  const b = body(res);
  assert.deepEqual(Object.keys(b), ['error'], context);
  assert.deepEqual(Object.keys(b.error).sort(), ['code', 'message'], context);
  assert.equal(b.error.code, code, context);
  assert.equal(typeof b.error.message, 'string');
  assert.ok(b.error.message.length > 0);
}

/**
 * 429 rate_limited with a Retry-After of whole seconds in [1, maxSeconds] and no cookie; returns
 * it. No upper bound by default: a locked account announces more than the throttle window.
 */
export function assertRateLimited(res: LightMyRequestResponse, context = '', maxSeconds = Infinity): number {
  assertError(res, 429, 'rate_limited', context);
  const retry = String(res.headers['retry-after']);
  assert.match(retry, /^\d+$/, `Retry-After ${retry}`);
  const seconds = Number(retry);
  assert.ok(seconds >= 1 && seconds <= maxSeconds, `Retry-After ${seconds}`);
  assert.equal(res.headers['set-cookie'], undefined);
  return seconds;
}

/** The raw Set-Cookie lines of a response. */
/**
 * Asserts a 200 `/auth/me` answer of the spec's shape, `{user, auth:{mode, id, expiresAt}}`, for
 * `user` in `mode`; returns its `auth` for the mode's own checks.
 */
export function assertMe(res: LightMyRequestResponse, user: unknown, mode: 'session' | 'jwt'): { mode: string; id: string; expiresAt: string } {
  assert.equal(res.statusCode, 200, res.body);
  const b = JSON.parse(res.body) as { user: unknown; auth: { mode: string; id: string; expiresAt: string } };
  assert.deepEqual(Object.keys(b).sort(), ['auth', 'user']);
  assert.deepEqual(b.user, user);
  assert.deepEqual(Object.keys(b.auth).sort(), ['expiresAt', 'id', 'mode']);
  assert.equal(b.auth.mode, mode);
  return b.auth;
}

export function setCookieLines(res: LightMyRequestResponse): string[] {
  const raw = res.headers['set-cookie'];
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
}

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names in lower case; `true` for a flag such as HttpOnly. */
  attrs: Map<string, string | true>;
}

/** One Set-Cookie line: name, value and attributes. */
export function parseSetCookie(line: string): SetCookie {
  const [pair, ...rest] = line.split(';').map((p) => p.trim());
  const eq = pair!.indexOf('=');
  const attrs = new Map<string, string | true>();
  for (const a of rest) {
    const i = a.indexOf('=');
    if (i === -1) attrs.set(a.toLowerCase(), true);
    else attrs.set(a.slice(0, i).toLowerCase(), a.slice(i + 1));
  }
  return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attrs };
}

/** Every Set-Cookie of a response, parsed. */
export function parseSetCookies(res: LightMyRequestResponse): SetCookie[] {
  return setCookieLines(res).map(parseSetCookie);
}

/** One part (header or claims) of a compact JWT, decoded. */
export function decodeJwtPart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

let emailCounter = 0;
/** An email address no other call of this process has returned. */
export function freshEmail(prefix: string): string {
  emailCounter += 1;
  return `${prefix}-${emailCounter}-${Date.now()}@example.com`;
}

/** Registers a fresh account with GOOD_PASSWORD (201 asserted); returns its email. */
export async function registerFreshAccount(call: Call, prefix: string): Promise<string> {
  const email = freshEmail(prefix);
  const res = await call({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
  assert.equal(res.statusCode, 201, res.body);
  return email;
}

export type Device = Awaited<ReturnType<typeof signUpAndIn>> & {
  /** The id of its session record (the session id, or the refresh token's family id). */
  id: string;
};

/**
 * A signed-in device: a new user when `email` is undefined, else another sign-in of that
 * user. Its session cookie or tokens are added to `secrets` for the log check.
 */
export async function signInDevice(s: TestServer, secrets: Set<string>, mode: 'session' | 'jwt', email?: string, password = GOOD_PASSWORD): Promise<Device> {
  const a = email === undefined ? await signUpAndIn(s, mode) : await signIn(s, mode, email, password);
  if (mode === 'session') secrets.add(a.cookies[SESSION_COOKIE]!);
  else {
    secrets.add(a.body.accessToken);
    secrets.add(a.body.refreshToken);
  }
  const id = (mode === 'session' ? a.body.session.id : a.body.refreshToken.split('.')[0]) as string;
  return { ...a, id };
}

/**
 * Stops the server, then checks that its log was captured and holds none of `secrets` (every
 * password, token and cookie value the file used). Returns the log for further checks.
 */
export async function disposeAndCheckLog(s: TestServer, secrets: Iterable<string>): Promise<string> {
  // Closing hands the last access lines to the stream (access-log.ts), so read after it.
  await s.dispose();
  const log = s.logText();
  assert.ok(log.includes('"msg":"request completed"'), 'the log was captured');
  for (const secret of secrets) assert.ok(!log.includes(secret), `the log contains a secret (${secret.slice(0, 6)}…)`);
  return log;
}

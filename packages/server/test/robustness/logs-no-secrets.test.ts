/**
 * "Secrets and tokens never appear in logs or error messages." A scenario that touches every
 * credential path (register, sign-in in both modes, refresh by body and by cookie, password
 * change in both modes, logout by cookie / bearer / refresh token, logout-all, bad and
 * throttled sign-ins, revoked and forged tokens, tokens in query strings and in 404 URLs,
 * a password inside malformed JSON) runs against
 *   - the in-process server at the harness's level (info) and at trace, and
 *   - a spawned real server at TESSERA_LOG_LEVEL=trace (its stdout and stderr),
 * then the captured log is searched for every password, access token (and its signature
 * segment alone), refresh token, session cookie value (and its secret part alone).
 */
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/test-server.js';
import { cleanUpServers, spawnServer } from './spawn-server.js';

const SESSION_COOKIE = '__Host-tessera_session';
const REFRESH_COOKIE = '__Secure-tessera_refresh';

after(cleanUpServers);

/** A response, whatever the transport. */
interface Answer {
  status: number;
  text: string;
  setCookies: string[];
}

type Call = (method: string, url: string, options?: { headers?: Record<string, string>; json?: unknown; raw?: string }) => Promise<Answer>;

/** Unique, greppable secrets (a random tag so no other log text can match by chance). */
function secretPassword(label: string): string {
  return `pw ${label} ${randomBytes(9).toString('base64url')} staple`;
}

/** Every secret the scenario used, by label; and every response body (for error-message checks). */
interface Used {
  secrets: Map<string, string>;
  bodies: string[];
}

function cookieValue(setCookies: string[], name: string): string | undefined {
  for (const c of setCookies) {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    if (pair!.slice(0, eq) === name && eq < pair!.length - 1) return pair!.slice(eq + 1);
  }
  return undefined;
}

/** Runs the scenario; returns what must never be logged. */
async function scenario(call: Call): Promise<Used> {
  const used: Used = { secrets: new Map(), bodies: [] };
  const remember = (label: string, value: string | undefined) => {
    assert.ok(value && value.length >= 16, `${label}: missing or too short to search for (${value})`);
    used.secrets.set(label, value);
    // The parts of a credential are secrets too (each may be logged on its own).
    if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(value)) used.secrets.set(`${label} (signature segment)`, value.split('.')[2]!);
    else if (/^[\w-]{22}\.[\w-]{43}$/.test(value)) used.secrets.set(`${label} (secret part)`, value.split('.')[1]!);
  };
  const req: Call = async (method, url, options) => {
    const a = await call(method, url, options);
    used.bodies.push(a.text);
    return a;
  };
  const json = (a: Answer) => JSON.parse(a.text) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const expect = (a: Answer, status: number, what: string) => assert.equal(a.status, status, `${what}: ${a.text.slice(0, 300)}`);

  const email = `logs-${randomBytes(6).toString('hex')}@example.com`;
  const p1 = secretPassword('initial');
  const p2 = secretPassword('second');
  const p3 = secretPassword('third');
  const wrong = secretPassword('wrong');
  const weak = `weak${randomBytes(3).toString('hex')}`; // short: refused by the policy
  const inBadJson = secretPassword('bad-json');
  for (const [label, v] of [['password 1', p1], ['password 2', p2], ['password 3', p3], ['wrong password', wrong], ['password in bad JSON', inBadJson]] as const) remember(label, v);
  used.secrets.set('weak password', weak);

  // Sign-up, including the refusals.
  expect(await req('POST', '/auth/register', { json: { email, password: weak } }), 400, 'weak password');
  expect(await req('POST', '/auth/register', { json: { email, password: p1 } }), 201, 'register');
  expect(await req('POST', '/auth/register', { json: { email, password: p1 } }), 409, 'duplicate register');

  // Session mode.
  const s1 = await req('POST', '/auth/login', { json: { email, password: p1, mode: 'session' } });
  expect(s1, 200, 'login session');
  const c1 = cookieValue(s1.setCookies, SESSION_COOKIE);
  remember('session cookie 1', c1);
  expect(await req('GET', '/auth/me', { headers: { cookie: `${SESSION_COOKIE}=${c1}` } }), 200, 'me by cookie');
  expect(await req('GET', '/auth/sessions', { headers: { cookie: `${SESSION_COOKIE}=${c1}` } }), 200, 'sessions by cookie');

  // JWT mode.
  const j1 = await req('POST', '/auth/login', { json: { email, password: p1, mode: 'jwt' } });
  expect(j1, 200, 'login jwt');
  const a1 = json(j1).accessToken as string;
  const r1 = json(j1).refreshToken as string;
  remember('access token 1', a1);
  remember('refresh token 1', r1);
  assert.equal(cookieValue(j1.setCookies, REFRESH_COOKIE), r1);
  expect(await req('GET', '/auth/me', { headers: { authorization: `Bearer ${a1}` } }), 200, 'me by bearer');

  // Tokens in query strings: never a credential, never logged.
  expect(await req('GET', `/auth/me?access_token=${a1}`), 401, 'access_token in query');
  expect(await req('GET', `/auth/me?token=${c1}`), 401, 'token in query');
  expect(await req('GET', `/auth/me?refresh_token=${r1}&password=${encodeURIComponent(p1)}`), 401, 'refresh_token in query');
  expect(await req('GET', `/auth/sessions?access_token=${a1}`, { headers: { authorization: `Bearer ${a1}` } }), 200, 'query and header');
  expect(await req('GET', `/no-such-page?token=${a1}&session=${c1}`), 404, 'token in a 404 URL');
  expect(await req('POST', `/auth/login?password=${encodeURIComponent(p1)}`, { json: {} }), 400, 'password in query');

  // Refresh by body, then by cookie.
  const rf1 = await req('POST', '/auth/refresh', { json: { refreshToken: r1 } });
  expect(rf1, 200, 'refresh by body');
  const a2 = json(rf1).accessToken as string;
  const r2 = json(rf1).refreshToken as string;
  remember('access token 2', a2);
  remember('refresh token 2', r2);
  const rf2 = await req('POST', '/auth/refresh', { headers: { cookie: `${REFRESH_COOKIE}=${r2}` } });
  expect(rf2, 200, 'refresh by cookie');
  const a3 = json(rf2).accessToken as string;
  const r3 = json(rf2).refreshToken as string;
  remember('access token 3', a3);
  remember('refresh token 3', r3);
  expect(await req('POST', '/auth/refresh', { json: { refreshToken: `${r3.slice(0, -4)}AAAA` } }), 401, 'forged refresh token');

  // Password change in session mode (ends every other record; a new cookie).
  expect(await req('POST', '/auth/password', { headers: { cookie: `${SESSION_COOKIE}=${c1}` }, json: { currentPassword: wrong, newPassword: p2 } }), 401, 'wrong current password');
  const pc1 = await req('POST', '/auth/password', { headers: { cookie: `${SESSION_COOKIE}=${c1}` }, json: { currentPassword: p1, newPassword: p2 } });
  expect(pc1, 200, 'password change by cookie');
  const c2 = cookieValue(pc1.setCookies, SESSION_COOKIE);
  remember('session cookie 2', c2);

  // Revoked credentials presented again.
  expect(await req('GET', '/auth/me', { headers: { cookie: `${SESSION_COOKIE}=${c1}` } }), 401, 'revoked cookie');
  expect(await req('GET', '/auth/me', { headers: { authorization: `Bearer ${a3}` } }), 401, 'revoked access token');
  expect(await req('POST', '/auth/refresh', { json: { refreshToken: r3 } }), 401, 'revoked refresh token');
  expect(await req('POST', '/auth/refresh', { json: { refreshToken: r1 } }), 401, 'reused refresh token');
  const forged = `${a1.split('.')[0]}.${a1.split('.')[1]}.${Buffer.from(randomBytes(64)).toString('base64url')}`;
  remember('forged access token', forged);
  expect(await req('GET', '/auth/me', { headers: { authorization: `Bearer ${forged}` } }), 401, 'forged signature');

  // Password change in JWT mode (a new token pair in the body).
  const j2 = await req('POST', '/auth/login', { json: { email, password: p2, mode: 'jwt' } });
  expect(j2, 200, 'login jwt with the new password');
  const a4 = json(j2).accessToken as string;
  const r4 = json(j2).refreshToken as string;
  remember('access token 4', a4);
  remember('refresh token 4', r4);
  const pc2 = await req('POST', '/auth/password', { headers: { authorization: `Bearer ${a4}` }, json: { currentPassword: p2, newPassword: p3 } });
  expect(pc2, 200, 'password change by bearer');
  const a5 = json(pc2).accessToken as string;
  const r5 = json(pc2).refreshToken as string;
  remember('access token 5', a5);
  remember('refresh token 5', r5);

  // Logouts: by refresh token, by cookie, by bearer, everything.
  const j3 = await req('POST', '/auth/login', { json: { email, password: p3, mode: 'jwt' } });
  const a6 = json(j3).accessToken as string;
  const r6 = json(j3).refreshToken as string;
  remember('access token 6', a6);
  remember('refresh token 6', r6);
  const s3 = await req('POST', '/auth/login', { json: { email, password: p3 } });
  const c3 = cookieValue(s3.setCookies, SESSION_COOKIE);
  remember('session cookie 3', c3);
  expect(await req('POST', '/auth/logout', { json: { refreshToken: r6 } }), 204, 'logout by refresh token');
  expect(await req('POST', '/auth/logout', { headers: { cookie: `${SESSION_COOKIE}=${c3}` } }), 204, 'logout by cookie');
  expect(await req('POST', '/auth/logout', { headers: { authorization: `Bearer ${a5}` } }), 204, 'logout by bearer');
  const s4 = await req('POST', '/auth/login', { json: { email, password: p3 } });
  const c4 = cookieValue(s4.setCookies, SESSION_COOKIE);
  remember('session cookie 4', c4);
  expect(await req('POST', '/auth/logout-all', { headers: { cookie: `${SESSION_COOKIE}=${c4}` } }), 204, 'logout-all');
  // Logging out an ended session again is idempotent (204) or refused (401): either way, no log.
  const again = await req('POST', '/auth/logout', { json: { refreshToken: r5 } });
  assert.ok(again.status === 204 || again.status === 401, `logout with a revoked refresh token: ${again.status}`);
  // Bad sign-ins, up to the throttle (last: the account stays throttled), and an unknown email.
  for (let i = 0; i < 11; i++) await req('POST', '/auth/login', { json: { email, password: wrong, mode: i % 2 ? 'jwt' : 'session' } });
  expect(await req('POST', '/auth/login', { json: { email, password: wrong } }), 429, 'throttled sign-in');
  expect(await req('POST', '/auth/login', { json: { email: `nobody-${email}`, password: wrong } }), 401, 'unknown email');
  expect(await req('POST', '/auth/login', { raw: `{"email":"${email}","password":"${inBadJson}"` }), 400, 'password in malformed JSON');
  expect(await req('POST', '/auth/login', { raw: `{"email":"${email}","password":"${inBadJson}","__proto__":{"x":1}}` }), 400, 'password next to __proto__');
  expect(await req('POST', '/auth/login', { json: { email, password: inBadJson, extra: true } }), 400, 'password with an unknown field');

  return used;
}

/** Asserts that no secret occurs in `log`; lists every leak at once. */
function assertNoSecrets(log: string, used: Used, where: string): void {
  const leaks: string[] = [];
  for (const [label, value] of used.secrets) {
    const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
    for (const form of forms) {
      const at = log.indexOf(form);
      if (at >= 0) {
        const line = log.slice(log.lastIndexOf('\n', at) + 1, log.indexOf('\n', at) === -1 ? undefined : log.indexOf('\n', at));
        leaks.push(`${label}: ${line.slice(0, 400)}`);
        break;
      }
    }
  }
  assert.deepEqual(leaks, [], `secrets in the ${where} log:\n${leaks.join('\n')}`);
}

function injectCall(s: Awaited<ReturnType<typeof startTestServer>>): Call {
  return async (method, url, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    let payload: string | undefined;
    if (options.json !== undefined) {
      payload = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.raw !== undefined) {
      payload = options.raw;
      headers['content-type'] = 'application/json';
    }
    const res = await s.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) });
    const raw = res.headers['set-cookie'];
    return { status: res.statusCode, text: res.body, setCookies: raw === undefined ? [] : Array.isArray(raw) ? raw : [raw] };
  };
}

for (const level of ['info', 'trace'] as const) {
  test(`in-process server at log level ${level}: no secret reaches the log`, async () => {
    const s = await startTestServer({ env: { TESSERA_LOG_LEVEL: level } });
    try {
      const used = await scenario(injectCall(s));
      // The last turn's access lines reach the stream when the turn ends (access-log.ts).
      await new Promise((resolve) => setImmediate(resolve));
      const log = s.logText();
      assert.ok(log.split('\n').length > 40, `the log is nearly empty, the test would prove nothing:\n${log}`);
      assertNoSecrets(log, used, `in-process (${level})`);
    } finally {
      await s.dispose();
    }
  });
}

test('spawned server at TESSERA_LOG_LEVEL=trace: no secret on stdout or stderr', async () => {
  const s = await spawnServer({ logLevel: 'trace' });
  const call: Call = async (method, url, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) body = JSON.stringify(options.json);
    else if (options.raw !== undefined) body = options.raw;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await s.fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
    return { status: res.status, text: await res.text(), setCookies: res.headers.getSetCookie() };
  };
  const used = await scenario(call);
  const exit = await s.stop(); // flushes the log
  assert.equal(exit.code, 0, s.stderr());
  const log = s.stdout() + s.stderr();
  assert.ok(log.split('\n').length > 40, `the log is nearly empty, the test would prove nothing:\n${log}`);
  // (Nothing logs below info today; the trace level guards whatever debug/trace logging comes.)
  assertNoSecrets(log, used, 'spawned server (trace)');
});

test('error messages never echo a token or a password sent by the client', async () => {
  const s = await startTestServer();
  try {
    const call = injectCall(s);
    const email = `echo-${randomBytes(6).toString('hex')}@example.com`;
    const password = secretPassword('echo');
    assert.equal((await call('POST', '/auth/register', { json: { email, password } })).status, 201);
    const login = await call('POST', '/auth/login', { json: { email, password, mode: 'jwt' } });
    const { accessToken, refreshToken } = JSON.parse(login.text) as { accessToken: string; refreshToken: string };
    const probes: [string, Answer][] = [
      // A credential pasted as a JSON key (a client bug) is echoed as "<key> is not a known field."
      ['token as an unknown JSON key', await call('POST', '/auth/refresh', { json: { [refreshToken]: true } })],
      ['password as an unknown JSON key', await call('POST', '/auth/login', { json: { email, [password]: password } })],
      // A credential in the path: Fastify's router errors echo the URL.
      ['access token as an over-long session id', await call('DELETE', `/auth/sessions/${accessToken}`, { headers: { authorization: `Bearer ${accessToken}` } })],
      ['token in a malformed URL', await call('GET', `/auth/sessions/${refreshToken}%`, { headers: { authorization: `Bearer ${accessToken}` } })],
      ['password in malformed JSON', await call('POST', '/auth/login', { raw: `{"email":"${email}","password":"${password}` })],
      ['token as a wrong-typed field', await call('POST', '/auth/logout', { json: { refreshToken: [refreshToken] } })],
    ];
    const echoes = probes
      .filter(([, a]) => [accessToken, refreshToken, refreshToken.split('.')[1]!, accessToken.split('.')[2]!, password].some((secret) => a.text.includes(secret)))
      .map(([what, a]) => `${what}: ${a.status} ${a.text.slice(0, 200)}…`);
    assert.deepEqual(echoes, [], `responses that echo a secret:\n${echoes.join('\n')}`);
  } finally {
    await s.dispose();
  }
});

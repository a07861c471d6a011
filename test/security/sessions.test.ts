/**
 * Attack suite, session credentials, black-box over HTTP (in-process server, real SQLite):
 * fixation (a planted pre-login cookie, the attacker's own valid session planted in the
 * victim's browser), strict mode (unknown ids never become valid, and create nothing), the
 * credential read only from its cookie (never from the URL, body or another header), cookie
 * attribute injection (what the server emits never reflects input), duplicate cookies (also as
 * two raw `Cookie:` lines), and CSRF on every state-changing route, the routes being read from
 * the server's own router rather than listed by hand.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import {
  assertRefusal, AttemptLog, body, cookiesOf, GOOD_PASSWORD, listen, openDatabase, parseRawResponses, rawRequest,
  REFRESH_COOKIE, routeTable, SESSION_COOKIE, signIn, signUpAndIn, startTestServer, uniqueEmail,
} from './helpers.js';
import type { TestServer } from './helpers.js';

let s: TestServer;
const attempts = new AttemptLog();

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(async () => {
  const log = s.logText();
  await s.dispose();
  attempts.assertAbsent(log);
});

/** A well-formed credential (`id.secret` of the right lengths) that no server issued. */
function randomCredential(): string {
  return `${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}

async function call(options: InjectOptions): Promise<LightMyRequestResponse> {
  const res = await s.app.inject(options);
  assert.ok(res.statusCode < 500, `${options.method} ${options.url}: ${res.statusCode} ${res.body}`);
  return res;
}

const me = (headers: Record<string, string | string[]> = {}, url = '/auth/me') => call({ method: 'GET', url, headers });

async function browser(email?: string) {
  const a = email === undefined ? await signUpAndIn(s, 'session', uniqueEmail('sess')) : await signIn(s, 'session', email);
  const token = a.cookies[SESSION_COOKIE]!;
  attempts.add('session cookie', token);
  return { ...a, token, cookie: `${SESSION_COOKIE}=${token}` };
}

function sessionRows(): number {
  const db = openDatabase(s.dataDir);
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The one Set-Cookie of the session cookie, split into its value and exact attribute list. */
function sessionSetCookie(res: LightMyRequestResponse): { value: string; attributes: string[] } {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const mine = list.filter((c) => c.startsWith(`${SESSION_COOKIE}=`));
  assert.equal(mine.length, 1, `one session Set-Cookie: ${JSON.stringify(list)}`);
  const [pair, ...attributes] = mine[0]!.split(';').map((x) => x.trim());
  return { value: pair!.slice(SESSION_COOKIE.length + 1), attributes };
}

/** The attributes the server always sets on a fresh session cookie (30-day absolute lifetime). */
const FRESH_ATTRIBUTES = ['Max-Age=2592000', 'Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax'];

describe('session fixation', () => {
  it('a planted pre-login cookie (random, attacker-formatted, garbage) is never upgraded: the sign-in issues its own', async () => {
    const victim = await browser();
    for (const planted of [randomCredential(), `${victim.token.split('.')[0]}.${randomBytes(32).toString('base64url')}`, 'attacker-chosen-session-id']) {
      attempts.add('planted', planted);
      const res = await call({ method: 'POST', url: '/auth/login', headers: { cookie: `${SESSION_COOKIE}=${planted}` }, payload: { email: victim.email, password: GOOD_PASSWORD } });
      assert.equal(res.statusCode, 200, res.body);
      const issued = sessionSetCookie(res);
      attempts.add('issued', issued.value);
      assert.notEqual(issued.value, planted);
      assert.notEqual(issued.value.split('.')[0], planted.split('.')[0], 'not even the id is reused');
      assert.match(issued.value, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      assertRefusal(await me({ cookie: `${SESSION_COOKIE}=${planted}` }), 401, 'unauthorized', 'planted cookie after the sign-in', true);
      assert.equal((await me({ cookie: `${SESSION_COOKIE}=${issued.value}` })).statusCode, 200);
    }
  });

  it("the attacker's own valid session planted in the victim's browser never becomes the victim's: the victim's sign-in ends it", async () => {
    const attacker = await browser();
    const victim = await browser();
    const res = await call({ method: 'POST', url: '/auth/login', headers: { cookie: attacker.cookie }, payload: { email: victim.email, password: GOOD_PASSWORD } });
    assert.equal(res.statusCode, 200, res.body);
    const issued = sessionSetCookie(res);
    attempts.add('issued', issued.value);
    assert.notEqual(issued.value, attacker.token);
    // The new cookie replaced the planted one in the browser; the record it named is ended (a
    // sign-in ends the session it replaces), so the attacker's copy opens nothing either.
    assertRefusal(await me({ cookie: attacker.cookie }), 401, 'unauthorized', "the attacker's planted cookie after the victim's sign-in", true);
    const asVictim = await me({ cookie: `${SESSION_COOKIE}=${issued.value}` });
    assert.equal(body(asVictim).user.id, victim.userId);
    const db = openDatabase(s.dataDir);
    try {
      const row = db.prepare('SELECT user_id, revoked_at FROM sessions WHERE id = ?').get(attacker.token.split('.')[0]) as { user_id: string; revoked_at: number | null };
      assert.equal(row.user_id, attacker.userId, 'no record changed hands');
      assert.notEqual(row.revoked_at, null, 'it was ended');
    } finally {
      db.close();
    }
  });

  it('a sign-in while already signed in, and a password change, each issue a new credential and end the one replaced', async () => {
    const a = await browser();
    const other = await call({ method: 'POST', url: '/auth/login', payload: { email: a.email, password: GOOD_PASSWORD } }); // another device
    const otherCookie = `${SESSION_COOKIE}=${sessionSetCookie(other).value}`;
    attempts.add('other', sessionSetCookie(other).value);
    const again = await call({ method: 'POST', url: '/auth/login', headers: { cookie: a.cookie }, payload: { email: a.email, password: GOOD_PASSWORD } });
    const second = sessionSetCookie(again);
    attempts.add('second', second.value);
    assert.notEqual(second.value, a.token);
    assertRefusal(await me({ cookie: a.cookie }), 401, 'unauthorized', 'the cookie the sign-in replaced', true);
    assert.equal((await me({ cookie: otherCookie })).statusCode, 200, "another device's session is not the replaced one");
    const changed = await call({ method: 'POST', url: '/auth/password', headers: { cookie: `${SESSION_COOKIE}=${second.value}` }, payload: { currentPassword: GOOD_PASSWORD, newPassword: 'fixation suite new password' } });
    assert.equal(changed.statusCode, 200, changed.body);
    const third = sessionSetCookie(changed);
    attempts.add('third', third.value);
    assert.notEqual(third.value, second.value);
    assertRefusal(await me({ cookie: `${SESSION_COOKIE}=${second.value}` }), 401, 'unauthorized', 'the pre-change cookie', true);
    assertRefusal(await me({ cookie: otherCookie }), 401, 'unauthorized', 'the other device after the change', true);
    assert.equal((await me({ cookie: `${SESSION_COOKIE}=${third.value}` })).statusCode, 200);
  });
});

describe('strict mode: unknown ids never become valid', () => {
  it('200 well-formed unknown credentials: every one 401, and none creates a record', async () => {
    await browser();
    const before = sessionRows();
    for (let i = 0; i < 200; i++) {
      const planted = randomCredential();
      attempts.add('unknown', planted);
      assertRefusal(await me({ cookie: `${SESSION_COOKIE}=${planted}` }), 401, 'unauthorized', `unknown ${i}`, true);
      // State-changing routes with an unknown cookie do not create anything either.
      if (i % 20 === 0) assertRefusal(await call({ method: 'POST', url: '/auth/logout', headers: { cookie: `${SESSION_COOKIE}=${planted}` } }), 401, 'unauthorized', `logout with unknown ${i}`, true);
    }
    assert.equal(sessionRows(), before, 'no record was created for an unknown id');
  });

  it('a real id with a wrong secret, a refresh token, and an ended session: 401, and the real session is untouched', async () => {
    const a = await browser();
    const j = await signIn(s, 'jwt', a.email);
    attempts.add('refresh', j.body.refreshToken);
    attempts.add('access', j.body.accessToken);
    const [id] = a.token.split('.') as [string];
    const wrongSecret = `${id}.${randomBytes(32).toString('base64url')}`;
    attempts.add('wrong secret', wrongSecret);
    assertRefusal(await me({ cookie: `${SESSION_COOKIE}=${wrongSecret}` }), 401, 'unauthorized', 'real id, wrong secret', true);
    assertRefusal(await me({ cookie: `${SESSION_COOKIE}=${j.body.refreshToken}` }), 401, 'unauthorized', 'a refresh token as the session cookie', true);
    assert.equal((await me({ cookie: a.cookie })).statusCode, 200, 'the real session still works');
    const ended = await browser(a.email);
    assert.equal((await call({ method: 'POST', url: '/auth/logout', headers: { cookie: ended.cookie } })).statusCode, 204);
    for (let i = 0; i < 3; i++) assertRefusal(await me({ cookie: ended.cookie }), 401, 'unauthorized', 'an ended session, again', true);
  });
});

describe('the session credential is read only from its cookie', () => {
  let a: Awaited<ReturnType<typeof browser>>;
  before(async () => {
    a = await browser();
  });

  it('not from the URL (query string or path)', async () => {
    for (const name of [SESSION_COOKIE, 'session', 'sessionid', 'sid', 'token', 'jsessionid', 'PHPSESSID']) {
      assertRefusal(await me({}, `/auth/me?${encodeURIComponent(name)}=${encodeURIComponent(a.token)}`), 401, 'unauthorized', `?${name}=`, false);
    }
    assertRefusal(await me({}, `/auth/me;jsessionid=${a.token}`), 404, 'not_found', ';jsessionid= in the path');
  });

  it('not from a body field, and a body field naming it ends nothing', async () => {
    for (const payload of [{ session: a.token }, { sessionToken: a.token }, { [SESSION_COOKIE]: a.token }, { cookie: `${SESSION_COOKIE}=${a.token}` }]) {
      assertRefusal(await call({ method: 'POST', url: '/auth/logout-all', payload }), 400, 'invalid_request', `body ${Object.keys(payload)[0]}`);
    }
    // A session credential is not a refresh token, even in the one body field that takes a credential.
    assertRefusal(await call({ method: 'POST', url: '/auth/logout', payload: { refreshToken: a.token } }), 401, 'invalid_grant', 'session credential as refreshToken', true);
    assertRefusal(await call({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: a.token } }), 401, 'invalid_grant', 'session credential as refreshToken (refresh)', true);
    assert.equal((await me({ cookie: a.cookie })).statusCode, 200, 'nothing was ended');
  });

  it('not from other headers, schemes or cookie names', async () => {
    for (const header of ['x-session-token', 'x-session-id', 'session', 'x-auth-token', 'x-csrf-token', 'x-forwarded-cookie', 'cookie2']) {
      assertRefusal(await me({ [header]: a.token }), 401, 'unauthorized', `header ${header}`, false);
    }
    for (const value of [`Bearer ${a.token}`, `Session ${a.token}`, a.token, `Cookie ${SESSION_COOKIE}=${a.token}`]) {
      assertRefusal(await me({ authorization: value }), 401, 'unauthorized', `Authorization: ${value.split(' ')[0]}`, true);
    }
    for (const name of ['tessera_session', '__Secure-tessera_session', '__host-tessera_session', '__Host-tessera_Session', ' __Host-tessera_session x', 'session']) {
      const res = await me({ cookie: `${name}=${a.token}` });
      assertRefusal(res, 401, 'unauthorized', `cookie name ${JSON.stringify(name)}`);
    }
  });
});

describe('cookie attribute injection: the Set-Cookie the server emits never reflects input', () => {
  it('attribute-like garbage in the Cookie header is just other cookies; logout clears with the server\'s own attributes only', async () => {
    const a = await browser();
    const hostile = `${a.cookie}; Path=/evil; Domain=evil.example; Secure; HttpOnly; Max-Age=999999999; SameSite=None; Expires=Fri, 31 Dec 9999 23:59:59 GMT`;
    const seen = await me({ cookie: hostile });
    assert.equal(seen.statusCode, 200, 'the session cookie is found among the garbage');
    assert.equal(seen.headers['set-cookie'], undefined, 'a read sets no cookie');
    const out = await call({ method: 'POST', url: '/auth/logout', headers: { cookie: hostile } });
    assert.equal(out.statusCode, 204, out.body);
    const cleared = ([] as string[]).concat(out.headers['set-cookie'] ?? []);
    assert.deepEqual(cleared.sort(), [
      `${REFRESH_COOKIE}=; Max-Age=0; Path=/auth/refresh; HttpOnly; Secure; SameSite=Strict`,
      `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`,
    ].sort());
  });

  it('a sign-in carrying hostile Cookie, Host, Origin and forwarding headers: one Set-Cookie, a fresh credential, the fixed attributes', async () => {
    const a = await browser();
    const hostileCookies = [
      `${SESSION_COOKIE}=x%0d%0aSet-Cookie:%20evil=1; Domain=evil.example`,
      `${SESSION_COOKIE}=x\tDomain=evil.example`,
      `${SESSION_COOKIE}="${a.token}; Domain=evil.example"`,
      `${SESSION_COOKIE}=${'%0A'.repeat(50)}`,
      `Domain=evil.example; ${SESSION_COOKIE}=; Path=/x`,
    ];
    for (const cookie of hostileCookies) {
      const res = await call({
        method: 'POST', url: '/auth/login',
        headers: { cookie, 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http', forwarded: 'host=evil.example;proto=http' },
        payload: { email: a.email, password: GOOD_PASSWORD },
      });
      assert.equal(res.statusCode, 200, `${cookie}: ${res.body}`);
      const issued = sessionSetCookie(res);
      attempts.add('issued', issued.value);
      assert.match(issued.value, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(issued.attributes, FRESH_ATTRIBUTES, cookie);
      const all = JSON.stringify(res.headers);
      assert.ok(!/evil/i.test(all), `the response reflects input: ${all}`);
    }
  });

  it('CR/LF-like encodings in the session cookie are refused (401) and reflected nowhere', async () => {
    for (const value of ['x%0d%0aSet-Cookie:%20evil=1', '%0d%0a%0d%0a<html>evil', 'x;%20Domain=evil.example', '%E5%98%8A%E5%98%8DSet-Cookie:evil']) {
      const res = await me({ cookie: `${SESSION_COOKIE}=${value}` });
      assertRefusal(res, 401, 'unauthorized', value, true);
      assert.ok(!/evil/i.test(JSON.stringify(res.headers) + res.body), `reflected: ${value}`);
    }
  });

  it('an email with CR/LF cannot split a response either: 400, nothing reflected', async () => {
    const res = await call({ method: 'POST', url: '/auth/login', payload: { email: 'a@example.com\r\nSet-Cookie: evil=1', password: GOOD_PASSWORD } });
    assertRefusal(res, 400, 'invalid_request', 'CRLF email');
    assert.ok(!/evil/i.test(JSON.stringify(res.headers) + res.body));
  });
});

describe('duplicate cookies are refused, not guessed between', () => {
  it('two session cookies in one header, in two headers, or as two raw Cookie lines: 401', async () => {
    const a = await browser();
    const b = await browser();
    const forged = randomCredential();
    attempts.add('forged', forged);
    const headerCases: [string, string | string[]][] = [
      ['the same valid cookie twice', `${a.cookie}; ${a.cookie}`],
      ['two valid cookies of two users', `${a.cookie}; ${b.cookie}`],
      ['valid then forged', `${a.cookie}; ${SESSION_COOKIE}=${forged}`],
      ['forged then valid', `${SESSION_COOKIE}=${forged}; other=1; ${a.cookie}`],
      ['valid then empty', `${a.cookie}; ${SESSION_COOKIE}=`],
      ['two Cookie headers', [a.cookie, `${SESSION_COOKIE}=${forged}`]],
    ];
    for (const [name, cookie] of headerCases) {
      assertRefusal(await me({ cookie }), 401, 'unauthorized', name, true);
    }
    // Two refresh cookies: the refresh is refused and rotates nothing.
    const j = await signIn(s, 'jwt', a.email);
    attempts.add('refresh', j.body.refreshToken);
    attempts.add('access', j.body.accessToken);
    const refreshCookie = `${REFRESH_COOKIE}=${j.body.refreshToken}`;
    assertRefusal(await call({ method: 'POST', url: '/auth/refresh', headers: { cookie: `${refreshCookie}; ${REFRESH_COOKIE}=${forged}` } }), 401, 'invalid_grant', 'two refresh cookies', true);
    assert.equal((await call({ method: 'POST', url: '/auth/refresh', headers: { cookie: refreshCookie } })).statusCode, 200, 'the family was not touched');

    const port = await listen(s);
    const raw = (lines: string[]) => `GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${lines.map((l) => `Cookie: ${l}\r\n`).join('')}Connection: close\r\n\r\n`;
    const single = parseRawResponses(await rawRequest(port, raw([a.cookie])));
    assert.equal(single[0]?.status, 200, 'control: one Cookie line over the raw socket');
    for (const lines of [[a.cookie, a.cookie], [a.cookie, `${SESSION_COOKIE}=${forged}`], [`${SESSION_COOKIE}=${forged}`, a.cookie]]) {
      const [res] = parseRawResponses(await rawRequest(port, raw(lines)));
      assert.equal(res?.status, 401, `two raw Cookie lines: ${res?.status}`);
      assert.equal(JSON.parse(res.body).error.code, 'unauthorized');
    }
  });
});

describe('CSRF on every state-changing route of the server (read from its router)', () => {
  const EVIL = 'https://evil.example';
  const UNSAFE = ['POST', 'PUT', 'DELETE', 'PATCH'];
  const SPEC_STATE_CHANGING = ['POST /auth/register', 'POST /auth/login', 'POST /auth/refresh', 'POST /auth/logout', 'POST /auth/logout-all', 'POST /auth/password', 'DELETE /auth/sessions/:id'];
  let targets: { method: string; path: string }[] = [];

  before(async () => {
    // Every unsafe method the router has, probed with no credential and no Origin: the ones
    // that answer 405 are "method not allowed" handlers; everything else changes state.
    for (const route of routeTable(s)) {
      for (const method of route.methods.filter((m) => UNSAFE.includes(m))) {
        const res = await call({ method: method as InjectOptions['method'], url: route.path.replace(/:[A-Za-z]+/g, 'x1'), payload: {} });
        if (res.statusCode !== 405) targets.push({ method, path: route.path });
      }
    }
    targets = targets.sort((x, y) => `${x.method} ${x.path}`.localeCompare(`${y.method} ${y.path}`));
  });

  it('the router\'s state-changing routes include every one of the spec', () => {
    const found = targets.map((t) => `${t.method} ${t.path}`);
    for (const route of SPEC_STATE_CHANGING) assert.ok(found.includes(route), `${route} not found among ${found.join(', ')}`);
    console.log(`CSRF targets read from the router: ${found.join(', ')}`);
  });

  /** A signed-in browser with both cookies, and a request for `target` that would succeed from the same origin. */
  async function requestFor(target: { method: string; path: string }) {
    const email = uniqueEmail('csrf');
    const session = await signUpAndIn(s, 'session', email);
    const jwt = await signIn(s, 'jwt', email);
    const other = await signIn(s, 'session', email);
    const sessionCookie = session.cookies[SESSION_COOKIE]!;
    const refreshToken = jwt.body.refreshToken as string;
    for (const v of [sessionCookie, refreshToken, jwt.body.accessToken, other.cookies[SESSION_COOKIE]!]) attempts.add('credential', v);
    const cookie = `${SESSION_COOKIE}=${sessionCookie}; ${REFRESH_COOKIE}=${refreshToken}`;
    const bodies: Record<string, Record<string, string>> = {
      '/auth/register': { email: uniqueEmail('csrf-new'), password: GOOD_PASSWORD },
      '/auth/login': { email, password: GOOD_PASSWORD },
      '/auth/password': { currentPassword: GOOD_PASSWORD, newPassword: 'csrf suite new password' },
    };
    const url = target.path.replace(':id', other.body.session.id as string);
    const options: InjectOptions = { method: target.method as InjectOptions['method'], url, headers: { cookie }, payload: bodies[target.path] ?? {} };
    /** Checks that nothing the request would have done happened. */
    const unchanged = async (label: string) => {
      assert.equal((await me({ cookie: `${SESSION_COOKIE}=${sessionCookie}` })).statusCode, 200, `${label}: the session was ended`);
      assert.equal((await me({ cookie: `${SESSION_COOKIE}=${other.cookies[SESSION_COOKIE]}` })).statusCode, 200, `${label}: the other device was ended`);
      const login = await call({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD } });
      assert.equal(login.statusCode, 200, `${label}: the password changed`);
      attempts.add('control login', cookiesOf(login)[SESSION_COOKIE]);
      if (target.path === '/auth/register') {
        const again = await call({ method: 'POST', url: '/auth/register', payload: bodies['/auth/register'] });
        assert.equal(again.statusCode, 201, `${label}: the account was created`);
        bodies['/auth/register'] = { email: uniqueEmail('csrf-new'), password: GOOD_PASSWORD };
        options.payload = bodies['/auth/register'];
      }
    };
    return { options, unchanged, refreshToken };
  }

  it('each one, with both credential cookies, from a foreign Origin, Origin: null, or Sec-Fetch-Site cross-site/same-site: 403 forbidden, nothing happens', async () => {
    const variants: [string, Record<string, string>][] = [
      ['foreign Origin', { origin: EVIL }],
      ['Origin: null', { origin: 'null' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
      ['Sec-Fetch-Site: cross-site with our own Origin', { 'sec-fetch-site': 'cross-site', origin: 'http://localhost' }],
      ['foreign Origin that embeds ours', { origin: 'http://localhost.evil.example' }],
    ];
    let cases = 0;
    for (const target of targets) {
      const { options, unchanged } = await requestFor(target);
      for (const [name, headers] of variants) {
        const res = await call({ ...options, headers: { ...(options.headers as Record<string, string>), ...headers } });
        // The auth API, where the cookies are credentials, answers the CSRF refusal; a route
        // that does not take them at all (an admin route wants its own key) refuses anyway.
        if (target.path.startsWith('/auth/')) assertRefusal(res, 403, 'forbidden', `${target.method} ${target.path} (${name})`);
        else if (res.statusCode === 401) assertRefusal(res, 401, 'unauthorized', `${target.method} ${target.path} (${name})`);
        else assertRefusal(res, 403, 'forbidden', `${target.method} ${target.path} (${name})`);
        assert.equal(res.headers['set-cookie'], undefined, `${target.method} ${target.path} (${name}): a refused request sets no cookie`);
        cases++;
      }
      await unchanged(`${target.method} ${target.path}`);
      // Control, for the spec's routes (whose bodies this suite knows): the very same request
      // from the server's own origin succeeds, so the 403s above were the origin check's.
      if (!SPEC_STATE_CHANGING.includes(`${target.method} ${target.path}`)) continue;
      const own = await call({ ...options, headers: { ...(options.headers as Record<string, string>), origin: 'http://localhost', 'sec-fetch-site': 'same-origin' } });
      assert.ok(own.statusCode < 400, `${target.method} ${target.path} from its own origin: ${own.statusCode} ${own.body}`);
      for (const v of Object.values(cookiesOf(own))) attempts.add('control cookie', v);
      if (own.body) for (const v of Object.values(JSON.parse(own.body) as Record<string, unknown>)) attempts.add('control body', v);
    }
    console.log(`CSRF: ${cases} cross-site requests on ${targets.length} routes, each refused (403 on the auth API)`);
  });
});

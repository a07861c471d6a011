// Session mode over HTTP: /auth/me, the session token (entropy, hashed at rest, new on every
// sign-in), idle and absolute timeouts, sliding renewal with a write throttle, and the rule
// that the token is read from the cookie only (no query, body or header; no duplicates; no
// fixation).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { assertError, assertMe, disposeAndCheckLog, httpClient, SESSION_COOKIE, signInDevice } from '../helpers/http-assertions.js';
import { body, cookiesOf, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

const IDLE = 86_400;
const ABSOLUTE = 2_592_000;

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD]);
const { call, me } = httpClient(() => s);

/** Signs up a new user in session mode; returns its cookie value and request headers. */
async function newSession() {
  const a = await signInDevice(s, secrets, 'session');
  return { ...a, token: a.cookies[SESSION_COOKIE]! };
}

function assertAnonymous(res: LightMyRequestResponse, tokenSent: boolean): void {
  assertError(res, 401, 'unauthorized');
  assert.equal(res.headers['www-authenticate'], tokenSent ? 'Bearer realm="tessera", error="invalid_token"' : 'Bearer realm="tessera"');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(() => disposeAndCheckLog(s, secrets));

describe('GET /auth/me with a session cookie', () => {
  it('answers {user, auth:{mode:"session", id, expiresAt}}', async () => {
    const a = await newSession();
    const res = await me(a.headers);
    const auth = assertMe(res, a.body.user, 'session');
    assert.equal(auth.id, a.body.session.id);
    assert.equal(auth.expiresAt, a.body.session.expiresAt);
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('without any credential: 401 unauthorized with WWW-Authenticate: Bearer realm="tessera"', async () => {
    assertAnonymous(await me({}), false);
  });
});

describe('the session token', () => {
  it('is id.secret in base64url with a secret of at least 256 bits', async () => {
    const { token, body: b } = await newSession();
    const [id, secret, ...rest] = token.split('.');
    assert.equal(rest.length, 0);
    assert.equal(id, b.session.id);
    assert.match(secret!, /^[A-Za-z0-9_-]+$/);
    assert.ok(Buffer.from(secret!, 'base64url').length >= 32, `secret is ${Buffer.from(secret!, 'base64url').length} bytes`);
  });

  it('is stored only as its SHA-256: the secret is nowhere in the database', async () => {
    const { token, body: b } = await newSession();
    const [id, secret] = token.split('.') as [string, string];
    const file = join(s.dataDir, 'tessera.db');
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as Record<string, unknown> | undefined;
      assert.ok(row, 'the session row exists');
      assert.equal(row.secret_hash, sha256(secret));
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
      for (const { name } of tables) {
        const dump = JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all());
        assert.ok(!dump.includes(secret), `table ${name} holds the session secret`);
      }
      assert.equal(b.session.id, id);
    } finally {
      db.close();
    }
    for (const f of [file, `${file}-wal`]) {
      if (existsSync(f)) assert.ok(!readFileSync(f).includes(Buffer.from(secret)), `${f} holds the session secret`);
    }
  });

  it('is new on every sign-in, and each one works', async () => {
    const first = await newSession();
    const second = await signInDevice(s, secrets, 'session', first.email);
    const token2 = second.cookies[SESSION_COOKIE]!;
    assert.notEqual(token2, first.token);
    assert.notEqual(token2.split('.')[0], first.token.split('.')[0]);
    assert.equal((await me(first.headers)).statusCode, 200);
    assert.equal((await me(second.headers)).statusCode, 200);
  });

  it('a session sign-in sent with a session cookie ends the record that cookie named (the browser holds the new one); a JWT sign-in does not', async () => {
    const first = await newSession();
    const other = await newSession(); // another user: the same browser signs in as someone else
    const login = (email: string, mode: 'session' | 'jwt', cookie: string) =>
      call({ method: 'POST', url: '/auth/login', headers: { cookie: `${SESSION_COOKIE}=${cookie}` }, payload: { email, password: GOOD_PASSWORD, mode } });
    const jwt = await login(first.email, 'jwt', first.token);
    assert.equal(jwt.statusCode, 200, jwt.body);
    secrets.add(body(jwt).accessToken);
    secrets.add(body(jwt).refreshToken);
    assert.equal((await me(first.headers)).statusCode, 200, 'a JWT sign-in leaves the session cookie and its record');
    for (const [prior, email] of [[first, first.email], [other, first.email]] as const) {
      const res = await login(email, 'session', prior.token);
      assert.equal(res.statusCode, 200, res.body);
      const next = cookiesOf(res)[SESSION_COOKIE]!;
      secrets.add(next);
      assertAnonymous(await me(prior.headers), true);
      assert.equal((await me({ cookie: `${SESSION_COOKIE}=${next}` })).statusCode, 200);
    }
  });
});

describe('timeouts and sliding renewal', () => {
  it('idle timeout: unused for the idle timeout, the session is refused', async () => {
    const a = await newSession();
    const b = await newSession();
    s.clock!.advanceSeconds(IDLE - 1);
    assert.equal((await me(a.headers)).statusCode, 200, 'one second before the idle timeout');
    s.clock!.advanceSeconds(2);
    assertAnonymous(await me(b.headers), true);
  });

  it('absolute timeout: used every idle/2, the session still ends at the absolute timeout', async () => {
    const a = await newSession();
    let elapsed = 0;
    while (elapsed + IDLE / 2 < ABSOLUTE) {
      s.clock!.advanceSeconds(IDLE / 2);
      elapsed += IDLE / 2;
      const res = await me(a.headers);
      assert.equal(res.statusCode, 200, `after ${elapsed} s: ${res.body}`);
      // The expiry never runs past the absolute limit.
      assert.ok(Date.parse(body(res).auth.expiresAt) <= Date.parse(a.body.user.createdAt) + ABSOLUTE * 1000 + 60_000);
    }
    s.clock!.advanceSeconds(ABSOLUTE - elapsed);
    assertAnonymous(await me(a.headers), true);
  });

  it('sliding renewal writes at most once a minute (lastSeenAt) and extends the idle expiry', async () => {
    const a = await newSession();
    const id = a.body.session.id as string;
    const t0 = s.clock!.nowMs();
    const row = async () => {
      const res = await me(a.headers, '/auth/sessions');
      assert.equal(res.statusCode, 200, res.body);
      const found = (body(res).sessions as Array<Record<string, string>>).find((x) => x.id === id);
      assert.ok(found);
      return found;
    };
    s.clock!.advanceSeconds(20);
    assert.equal((await row()).lastSeenAt, new Date(t0).toISOString());
    s.clock!.advanceSeconds(20);
    assert.equal((await row()).lastSeenAt, new Date(t0).toISOString(), 'two uses within the throttle: no write');
    s.clock!.advanceSeconds(21);
    const moved = await row();
    assert.equal(moved.lastSeenAt, new Date(t0 + 61_000).toISOString(), 'after 61 s the use is recorded');
    assert.equal(moved.expiresAt, new Date(t0 + 61_000 + IDLE * 1000).toISOString());
    // Renewed: it outlives the first idle expiry (t0 + IDLE).
    s.clock!.advanceSeconds(IDLE - 10);
    assert.equal((await me(a.headers)).statusCode, 200);
  });
});

describe('the token is read only from the cookie', () => {
  let a: Awaited<ReturnType<typeof newSession>>;
  before(async () => {
    a = await newSession();
  });

  it('not from the query string', async () => {
    for (const name of ['session', 'token', 'sessionToken', SESSION_COOKIE, 'access_token']) {
      assertAnonymous(await me({}, `/auth/me?${encodeURIComponent(name)}=${encodeURIComponent(a.token)}`), false);
    }
  });

  it('not from the body', async () => {
    for (const payload of [{ sessionToken: a.token }, { session: a.token }, { [SESSION_COOKIE]: a.token }]) {
      const res = await call({ method: 'POST', url: '/auth/logout-all', payload });
      assert.ok(res.statusCode === 400 || res.statusCode === 401, `${res.statusCode}: ${res.body}`);
    }
    assert.equal((await me(a.headers)).statusCode, 200, 'the session was not ended');
  });

  it('not from X-Session-Token or other headers', async () => {
    assertAnonymous(await me({ 'x-session-token': a.token }), false);
    assertAnonymous(await me({ 'x-auth-token': a.token }), false);
  });

  it('not as a Bearer token', async () => {
    assertAnonymous(await me({ authorization: `Bearer ${a.token}` }), true);
    assertAnonymous(await me({ authorization: a.token }), true);
  });

  it('not under another cookie name', async () => {
    assertAnonymous(await me({ cookie: `tessera_session=${a.token}` }), false);
    assertAnonymous(await me({ cookie: `session=${a.token}` }), false);
  });

  it('duplicate session cookies are refused, even when one is valid', async () => {
    const forged = `${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    assertAnonymous(await me({ cookie: `${SESSION_COOKIE}=${a.token}; ${SESSION_COOKIE}=${a.token}` }), true);
    assertAnonymous(await me({ cookie: `${SESSION_COOKIE}=${a.token}; ${SESSION_COOKIE}=${forged}` }), true);
    assertAnonymous(await me({ cookie: `${SESSION_COOKIE}=${forged}; other=1; ${SESSION_COOKIE}=${a.token}` }), true);
    assert.equal((await me({ cookie: `other=1; ${SESSION_COOKIE}=${a.token}; x=y` })).statusCode, 200, 'other cookies alongside are fine');
  });

  it('malformed values are refused without a 5xx', async () => {
    const [id] = a.token.split('.') as [string];
    for (const value of ['', 'x', id, `${id}.`, `${id}.${'A'.repeat(43)}`, `${a.token}x`, '%00%ff', 'é.ü', '.'.repeat(66), 'a'.repeat(5000)]) {
      const res = await me({ cookie: `${SESSION_COOKIE}=${value}` });
      assert.equal(res.statusCode, 401, `value ${JSON.stringify(value.slice(0, 20))}: ${res.body}`);
    }
  });

  it('a real session id with a forged secret is refused (the id is not a credential)', async () => {
    const [id] = a.token.split('.') as [string];
    assertAnonymous(await me({ cookie: `${SESSION_COOKIE}=${id}.${randomBytes(32).toString('base64url')}` }), true);
  });

  it('a refresh token (jwt-mode record) is not a session cookie', async () => {
    const j = await signInDevice(s, secrets, 'jwt', a.email);
    assertAnonymous(await me({ cookie: `${SESSION_COOKIE}=${j.body.refreshToken}` }), true);
  });
});

describe('session fixation', () => {
  it('an attacker-chosen cookie value never becomes valid, also after the victim signs in with it', async () => {
    const planted = `${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    assertAnonymous(await me({ cookie: `${SESSION_COOKIE}=${planted}` }), true);

    const victim = await newSession();
    const res = await call({
      method: 'POST', url: '/auth/login',
      headers: { cookie: `${SESSION_COOKIE}=${planted}` },
      payload: { email: victim.email, password: GOOD_PASSWORD },
    });
    assert.equal(res.statusCode, 200, res.body);
    const issued = cookiesOf(res)[SESSION_COOKIE]!;
    secrets.add(issued);
    assert.ok(issued);
    assert.notEqual(issued, planted);
    assert.notEqual(issued.split('.')[0], planted.split('.')[0]);
    assertAnonymous(await me({ cookie: `${SESSION_COOKIE}=${planted}` }), true);
    assert.equal((await me({ cookie: `${SESSION_COOKIE}=${issued}` })).statusCode, 200);
  });
});

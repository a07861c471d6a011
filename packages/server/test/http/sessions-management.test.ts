// GET /auth/sessions (one row per session record, both modes) and DELETE /auth/sessions/:id
// (ends one of them; never another user's).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, disposeAndCheckLog, httpClient, ISO_TIME, SESSION_COOKIE, signInDevice } from '../helpers/http-assertions.js';
import { body, cookiesOf, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD]);
const { call, me } = httpClient(() => s);

/** A signed-in device with the id of its session record. */
const device = (mode: 'session' | 'jwt', email?: string) => signInDevice(s, secrets, mode, email);

type Row = Record<string, unknown>;
async function list(headers: Record<string, string>): Promise<Row[]> {
  const res = await call({ method: 'GET', url: '/auth/sessions', headers });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['cache-control'], 'no-store');
  const b = body(res);
  assert.deepEqual(Object.keys(b), ['sessions']);
  return b.sessions as Row[];
}

const del = (id: string, headers: Record<string, string>) => call({ method: 'DELETE', url: `/auth/sessions/${encodeURIComponent(id)}`, headers });

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(() => disposeAndCheckLog(s, secrets));

describe('GET /auth/sessions', () => {
  it('one row per record of either mode, with id, mode, device, ip, createdAt, lastSeenAt, expiresAt, current', async () => {
    const first = await device('session');
    s.clock!.advanceSeconds(5);
    const res = await call({
      method: 'POST', url: '/auth/login', headers: { 'user-agent': FIREFOX_LINUX },
      payload: { email: first.email, password: GOOD_PASSWORD, mode: 'jwt' },
    });
    assert.equal(res.statusCode, 200, res.body);
    secrets.add(body(res).accessToken);
    secrets.add(body(res).refreshToken);
    const jwtId = (body(res).refreshToken as string).split('.')[0]!;
    const third = await device('session', first.email);
    const stranger = await device('session');

    const rows = await list(first.headers);
    assert.equal(rows.length, 3);
    assert.deepEqual(new Set(rows.map((r) => r.id)), new Set([first.id, jwtId, third.id]));
    assert.ok(!rows.some((r) => r.id === stranger.id), 'never another user\'s records');
    for (const r of rows) {
      assert.deepEqual(Object.keys(r).sort(), ['createdAt', 'current', 'device', 'expiresAt', 'id', 'ip', 'lastSeenAt', 'mode']);
      assert.ok(r.mode === 'session' || r.mode === 'jwt');
      assert.equal(typeof r.device, 'string');
      assert.equal(r.ip, '127.0.0.1');
      for (const k of ['createdAt', 'lastSeenAt', 'expiresAt']) assert.match(r[k] as string, ISO_TIME);
      assert.equal(typeof r.current, 'boolean');
      assert.equal(r.current, r.id === first.id);
    }
    const jwtRow = rows.find((r) => r.id === jwtId)!;
    assert.equal(jwtRow.mode, 'jwt');
    assert.equal(jwtRow.device, 'Firefox on Linux');
    assert.equal(rows.find((r) => r.id === third.id)!.mode, 'session');
    const firstRow = rows.find((r) => r.id === first.id)!;
    assert.equal(Date.parse(jwtRow.createdAt as string) - Date.parse(firstRow.createdAt as string), 5000);

    // From the JWT device, `current` marks its own record.
    const fromJwt = await list({ authorization: `Bearer ${body(res).accessToken}` });
    assert.deepEqual(fromJwt.filter((r) => r.current).map((r) => r.id), [jwtId]);
    // No secret of any record is listed.
    const text = JSON.stringify(rows);
    assert.ok(!text.includes(first.cookies[SESSION_COOKIE]!.split('.')[1]!));
    assert.ok(!text.includes((body(res).refreshToken as string).split('.')[1]!));
  });

  it('needs authentication: 401 without a credential', async () => {
    assertError(await call({ method: 'GET', url: '/auth/sessions' }), 401, 'unauthorized');
  });
});

describe('DELETE /auth/sessions/:id', () => {
  it('ends another record of the caller: 204, its credential is refused, the caller continues', async () => {
    const caller = await device('session');
    const other = await device('session', caller.email);
    const res = await del(other.id, caller.headers);
    assert.equal(res.statusCode, 204, res.body);
    assert.equal(res.body, '');
    assert.ok(!cookiesOf(res)[SESSION_COOKIE], 'the caller\'s cookie is not touched');
    assertError(await me(other.headers), 401, 'unauthorized');
    assert.equal((await me(caller.headers)).statusCode, 200);
    assert.ok(!(await list(caller.headers)).some((r) => r.id === other.id));
    assertError(await del(other.id, caller.headers), 404, 'not_found');
  });

  it('ends a jwt record: its access token and refresh token are refused at once', async () => {
    const caller = await device('session');
    const phone = await device('jwt', caller.email);
    assert.equal((await del(phone.id, caller.headers)).statusCode, 204);
    assertError(await me(phone.headers), 401, 'unauthorized');
    assertError(await call({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: phone.body.refreshToken } }), 401, 'invalid_grant');
  });

  it('from a Bearer token, ending a session-mode record', async () => {
    const caller = await device('jwt');
    const browser = await device('session', caller.email);
    assert.equal((await del(browser.id, caller.headers)).statusCode, 204);
    assertError(await me(browser.headers), 401, 'unauthorized');
    assert.equal((await me(caller.headers)).statusCode, 200);
  });

  it('the current record: 204, the cookie is cleared and refused', async () => {
    const caller = await device('session');
    const res = await del(caller.id, caller.headers);
    assert.equal(res.statusCode, 204);
    assert.equal(cookiesOf(res)[SESSION_COOKIE], '');
    assertError(await me(caller.headers), 401, 'unauthorized');
  });

  it('404 not_found for an unknown id', async () => {
    const caller = await device('session');
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'nope', 'x'.repeat(100), '%00', caller.id.toLowerCase()]) {
      assertError(await del(id, caller.headers), 404, 'not_found');
    }
    assert.equal((await me(caller.headers)).statusCode, 200);
  });

  it('an over-long or badly encoded id still gets the spec\'s error shape (404 not_found or 400 invalid_request)', async () => {
    const caller = await device('session');
    for (const raw of ['x'.repeat(101), 'y'.repeat(2000), '%E0%A4%A', '%ZZ']) {
      const res = await call({ method: 'DELETE', url: `/auth/sessions/${raw}`, headers: caller.headers });
      assert.ok(res.statusCode === 404 || res.statusCode === 400, `id of ${raw.length} chars: ${res.statusCode} ${res.body.slice(0, 120)}`);
      assertError(res, res.statusCode, res.statusCode === 404 ? 'not_found' : 'invalid_request');
      assert.ok(!res.body.includes(raw), 'the error does not echo the input');
    }
    assert.equal((await me(caller.headers)).statusCode, 200);
  });

  it('404 not_found for ANOTHER user\'s session id, which stays valid', async () => {
    const attacker = await device('session');
    const victimCookie = await device('session');
    const victimJwt = await device('jwt', victimCookie.email);
    assertError(await del(victimCookie.id, attacker.headers), 404, 'not_found');
    assertError(await del(victimJwt.id, attacker.headers), 404, 'not_found');
    assert.equal((await me(victimCookie.headers)).statusCode, 200);
    assert.equal((await me(victimJwt.headers)).statusCode, 200);
    assert.equal((await list(victimCookie.headers)).length, 2);
  });

  it('401 without a credential', async () => {
    const victim = await device('session');
    assertError(await del(victim.id, {}), 401, 'unauthorized');
    assert.equal((await me(victim.headers)).statusCode, 200);
  });
});

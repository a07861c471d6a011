// POST /auth/logout (cookie, bearer, refresh token) and POST /auth/logout-all (every record
// of both modes ends; other devices are refused at once).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertError, disposeAndCheckLog, httpClient, parseSetCookies, REFRESH_COOKIE, SESSION_COOKIE, signInDevice,
} from '../helpers/http-assertions.js';
import { body, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD]);
const { call, me, refresh } = httpClient(() => s);

/** A signed-in device; its secrets are remembered for the log check. */
const device = (mode: 'session' | 'jwt', email?: string) => signInDevice(s, secrets, mode, email);

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(() => disposeAndCheckLog(s, secrets));

describe('POST /auth/logout', () => {
  it('with the session cookie: 204, the cookie is cleared with the same attributes, and the next /auth/me is 401', async () => {
    const a = await device('session');
    const res = await call({ method: 'POST', url: '/auth/logout', headers: a.headers });
    assert.equal(res.statusCode, 204, res.body);
    assert.equal(res.body, '');
    const cleared = parseSetCookies(res).find((c) => c.name === SESSION_COOKIE);
    assert.ok(cleared, 'the session cookie is cleared');
    assert.equal(cleared.value, '');
    assert.equal(cleared.attrs.get('max-age'), '0');
    assert.equal(cleared.attrs.get('path'), '/');
    assert.equal(cleared.attrs.get('secure'), true);
    assert.equal(cleared.attrs.get('httponly'), true);
    assert.equal(cleared.attrs.has('domain'), false);
    const afterLogout = await me(a.headers);
    assertError(afterLogout, 401, 'unauthorized');
    assert.equal(afterLogout.headers['www-authenticate'], 'Bearer realm="tessera", error="invalid_token"');
    // A second logout with the dead cookie is a 401, not a 5xx.
    assertError(await call({ method: 'POST', url: '/auth/logout', headers: a.headers }), 401, 'unauthorized');
  });

  it('ends only that device', async () => {
    const a = await device('session');
    const b = await device('session', a.email);
    assert.equal((await call({ method: 'POST', url: '/auth/logout', headers: a.headers })).statusCode, 204);
    assert.equal((await me(a.headers)).statusCode, 401);
    assert.equal((await me(b.headers)).statusCode, 200);
  });

  it('with a Bearer token: 204, that access token is refused at once, and its refresh token too', async () => {
    const a = await device('jwt');
    const res = await call({ method: 'POST', url: '/auth/logout', headers: a.headers });
    assert.equal(res.statusCode, 204, res.body);
    const cleared = parseSetCookies(res).find((c) => c.name === REFRESH_COOKIE);
    assert.ok(cleared, 'the refresh cookie is cleared');
    assert.equal(cleared.value, '');
    assert.equal(cleared.attrs.get('path'), '/auth/refresh');
    assertError(await me(a.headers), 401, 'unauthorized');
    assertError(await refresh(a.body.refreshToken), 401, 'invalid_grant');
  });

  it('with {refreshToken}: 204 even with an expired access token; the family ends', async () => {
    const a = await device('jwt');
    s.clock!.advanceSeconds(906);
    assertError(await me(a.headers), 401, 'token_expired');
    const res = await call({ method: 'POST', url: '/auth/logout', headers: a.headers, payload: { refreshToken: a.body.refreshToken } });
    assert.equal(res.statusCode, 204, res.body);
    assertError(await refresh(a.body.refreshToken), 401, 'invalid_grant');
  });

  it('with {refreshToken} alone (no access token): 204; a wrong one is 401 invalid_grant', async () => {
    const a = await device('jwt');
    assertError(await call({ method: 'POST', url: '/auth/logout', payload: { refreshToken: 'not.a-token' } }), 401, 'invalid_grant');
    const res = await call({ method: 'POST', url: '/auth/logout', payload: { refreshToken: a.body.refreshToken } });
    assert.equal(res.statusCode, 204, res.body);
    assertError(await me(a.headers), 401, 'unauthorized');
  });

  it('without any credential: 401 unauthorized', async () => {
    const res = await call({ method: 'POST', url: '/auth/logout' });
    assertError(res, 401, 'unauthorized');
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="tessera"');
  });
});

describe('POST /auth/logout-all', () => {
  it('from a cookie: ends every record of both modes; other devices are refused', async () => {
    const caller = await device('session');
    const otherCookie = await device('session', caller.email);
    const jwt1 = await device('jwt', caller.email);
    const jwt2 = await device('jwt', caller.email);
    const stranger = await device('session');

    const res = await call({ method: 'POST', url: '/auth/logout-all', headers: caller.headers });
    assert.equal(res.statusCode, 204, res.body);
    assert.ok(parseSetCookies(res).some((c) => c.name === SESSION_COOKIE && c.value === ''), 'the caller\'s cookie is cleared');

    for (const d of [caller, otherCookie, jwt1, jwt2]) assertError(await me(d.headers), 401, 'unauthorized');
    for (const d of [jwt1, jwt2]) assertError(await refresh(d.body.refreshToken), 401, 'invalid_grant');
    assert.equal((await me(stranger.headers)).statusCode, 200, 'another user is untouched');

    // Signing in again works at once (same second as the logout-all).
    const fresh = await device('jwt', caller.email);
    assert.equal((await me(fresh.headers)).statusCode, 200);
    const freshCookie = await device('session', caller.email);
    assert.equal((await me(freshCookie.headers)).statusCode, 200);
  });

  it('from a Bearer token: the same, every record of both modes ends', async () => {
    const caller = await device('jwt');
    const cookie = await device('session', caller.email);
    const other = await device('jwt', caller.email);
    const res = await call({ method: 'POST', url: '/auth/logout-all', headers: caller.headers });
    assert.equal(res.statusCode, 204, res.body);
    for (const d of [caller, cookie, other]) assertError(await me(d.headers), 401, 'unauthorized');
    for (const d of [caller, other]) assertError(await refresh(d.body.refreshToken), 401, 'invalid_grant');
    const list = await device('session', caller.email);
    const sessions = await call({ method: 'GET', url: '/auth/sessions', headers: list.headers });
    assert.equal(body(sessions).sessions.length, 1, 'only the new sign-in remains');
  });

  it('without any credential: 401 unauthorized', async () => {
    assertError(await call({ method: 'POST', url: '/auth/logout-all' }), 401, 'unauthorized');
  });
});

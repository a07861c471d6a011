// TESSERA_COOKIE_SECURE=false: the cookies lose Secure and, with it, their __Host-/__Secure-
// prefixes (browsers refuse prefixed cookies without Secure); everything else stays.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { disposeAndCheckLog, httpClient, parseSetCookie, parseSetCookies, setCookieLines } from '../helpers/http-assertions.js';
import { body, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD]);
const email = `insecure-${Date.now()}@example.com`;
const { call } = httpClient(() => s);

before(async () => {
  s = await startTestServer({ manualClock: true, env: { TESSERA_COOKIE_SECURE: 'false' } });
  const reg = await call({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
  assert.equal(reg.statusCode, 201, reg.body);
});

after(() => disposeAndCheckLog(s, secrets));

describe('TESSERA_COOKIE_SECURE=false', () => {
  it('session mode sets tessera_session without Secure, still HttpOnly, SameSite=Lax, Path=/, no Domain', async () => {
    const res = await call({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD } });
    assert.equal(res.statusCode, 200, res.body);
    const lines = setCookieLines(res);
    assert.equal(lines.length, 1);
    const c = parseSetCookie(lines[0]!);
    secrets.add(c.value);
    assert.equal(c.name, 'tessera_session');
    assert.equal(c.attrs.has('secure'), false);
    assert.equal(c.attrs.get('httponly'), true);
    assert.equal(String(c.attrs.get('samesite')).toLowerCase(), 'lax');
    assert.equal(c.attrs.get('path'), '/');
    assert.equal(c.attrs.has('domain'), false);
    assert.equal(res.headers['cache-control'], 'no-store');

    const me = await call({ method: 'GET', url: '/auth/me', headers: { cookie: `tessera_session=${c.value}` } });
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(body(me).auth.mode, 'session');
    // The Secure name is not read on a non-Secure deployment.
    const other = await call({ method: 'GET', url: '/auth/me', headers: { cookie: `__Host-tessera_session=${c.value}` } });
    assert.equal(other.statusCode, 401);

    const out = await call({ method: 'POST', url: '/auth/logout', headers: { cookie: `tessera_session=${c.value}` } });
    assert.equal(out.statusCode, 204);
    const cleared = parseSetCookies(out).find((x) => x.name === 'tessera_session');
    assert.ok(cleared, 'logout clears tessera_session');
    assert.equal(cleared.value, '');
    assert.equal(cleared.attrs.get('max-age'), '0');
  });

  it('jwt mode sets tessera_refresh without Secure, HttpOnly, Path=/auth/refresh, and refresh reads it', async () => {
    const res = await call({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD, mode: 'jwt' } });
    assert.equal(res.statusCode, 200, res.body);
    secrets.add(body(res).accessToken);
    secrets.add(body(res).refreshToken);
    const c = parseSetCookie(setCookieLines(res)[0]!);
    assert.equal(c.name, 'tessera_refresh');
    assert.equal(c.value, body(res).refreshToken);
    assert.equal(c.attrs.has('secure'), false);
    assert.equal(c.attrs.get('httponly'), true);
    assert.equal(c.attrs.get('path'), '/auth/refresh');

    const refreshed = await call({ method: 'POST', url: '/auth/refresh', headers: { cookie: `tessera_refresh=${c.value}` }, payload: {} });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    secrets.add(body(refreshed).accessToken);
    secrets.add(body(refreshed).refreshToken);
    assert.notEqual(body(refreshed).refreshToken, c.value);
  });
});

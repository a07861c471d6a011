// CSRF defence: state-changing requests that carry the session or refresh cookie, and sign-in
// itself, are refused (403 forbidden) from a foreign Origin or with Sec-Fetch-Site cross-site /
// same-site; same origin, trusted origins and bearer-authenticated calls pass.
//
// inject() sends `host: localhost:80`, so the request's own origin is `http://localhost`
// (originOf serialises it as browsers do, without the default port).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { assertError, disposeAndCheckLog, httpClient, REFRESH_COOKIE, SESSION_COOKIE, signInDevice } from '../helpers/http-assertions.js';
import { body, cookiesOf, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { Device } from '../helpers/http-assertions.js';
import type { TestServer } from '../helpers/test-server.js';

const OWN = 'http://localhost';
const TRUSTED = 'https://app.example.com';
const EVIL = 'https://evil.example';
const NEW_PASSWORD = 'csrf tests change this password';

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD, NEW_PASSWORD]);
const { call, me } = httpClient(() => s);

function assertForbidden(res: LightMyRequestResponse): void {
  assertError(res, 403, 'forbidden');
  assert.equal(res.headers['set-cookie'], undefined, 'a refused request sets no cookie');
}

const device = (mode: 'session' | 'jwt', email?: string) => signInDevice(s, secrets, mode, email);

/** Every cookie-carrying state-changing request of the API, for one signed-in browser. */
function cookieRequests(a: Device, otherSessionId: string): Array<[string, InjectOptions]> {
  return [
    ['POST /auth/logout', { method: 'POST', url: '/auth/logout', headers: a.headers }],
    ['POST /auth/logout-all', { method: 'POST', url: '/auth/logout-all', headers: a.headers }],
    ['POST /auth/password', { method: 'POST', url: '/auth/password', headers: a.headers, payload: { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD } }],
    ['DELETE /auth/sessions/:id', { method: 'DELETE', url: `/auth/sessions/${otherSessionId}`, headers: a.headers }],
    ['POST /auth/email', { method: 'POST', url: '/auth/email', headers: a.headers, payload: { newEmail: `moved-${a.email}`, currentPassword: GOOD_PASSWORD } }],
    ['POST /auth/delete-account', { method: 'POST', url: '/auth/delete-account', headers: a.headers, payload: { currentPassword: GOOD_PASSWORD } }],
    ['POST /auth/verify-email/resend', { method: 'POST', url: '/auth/verify-email/resend', headers: a.headers }],
  ];
}

const withHeaders = (o: InjectOptions, extra: Record<string, string>): InjectOptions => ({ ...o, headers: { ...(o.headers as Record<string, string>), ...extra } });

before(async () => {
  s = await startTestServer({ manualClock: true, env: { TESSERA_TRUSTED_ORIGINS: TRUSTED } });
});

after(() => disposeAndCheckLog(s, secrets));

describe('cookie-authenticated state changes from another site', () => {
  for (const [label, extra] of [
    ['Origin: https://evil.example', { origin: EVIL }],
    ['Origin: null', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    ['Origin: evil with a lying Sec-Fetch-Site: same-origin', { origin: EVIL, 'sec-fetch-site': 'same-origin' }],
    ['Origin of another port', { origin: 'http://localhost:8080' }],
    ['Origin of another scheme', { origin: 'https://localhost' }],
  ] as const) {
    it(`${label}: 403 forbidden on logout, logout-all, password, DELETE session, email change, account deletion and resend; nothing happens`, async () => {
      const a = await device('session');
      const other = await device('session', a.email);
      for (const [name, request] of cookieRequests(a, other.body.session.id)) {
        const res = await call(withHeaders(request, extra));
        assert.equal(res.statusCode, 403, `${name}: ${res.body}`);
        assertForbidden(res);
      }
      assert.equal((await me(a.headers)).statusCode, 200, 'the caller is still signed in');
      assert.equal((await me(other.headers)).statusCode, 200, 'the other session was not ended');
      const relog = await call({ method: 'POST', url: '/auth/login', payload: { email: a.email, password: GOOD_PASSWORD } });
      assert.equal(relog.statusCode, 200, 'the password did not change');
      secrets.add(cookiesOf(relog)[SESSION_COOKIE]!);
    });
  }

  it('the mailed-link routes check the origin before the token: 403 from another site, the token judged only from this one', async () => {
    // No cookie needed: a page elsewhere must not spend (or probe) a link's token, nor ask for a reset.
    const token = 'A'.repeat(43);
    const requests: Array<[string, Record<string, unknown>]> = [
      ['/auth/verify-email', { token }],
      ['/auth/password-reset', { email: 'someone@example.com' }],
      ['/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD }],
      ['/auth/email/confirm', { token }],
    ];
    for (const [url, payload] of requests) {
      for (const extra of [{ origin: EVIL }, { 'sec-fetch-site': 'cross-site' }]) {
        const res = await call({ method: 'POST', url, headers: extra, payload });
        assert.equal(res.statusCode, 403, `${url} ${JSON.stringify(extra)}: ${res.body}`);
        assertForbidden(res);
      }
      const own = await call({ method: 'POST', url, headers: { origin: OWN }, payload });
      assert.notEqual(own.statusCode, 403, `${url} from its own origin: ${own.body}`);
    }
  });

  it('POST /auth/refresh with the refresh cookie from a foreign origin: 403, the token stays usable', async () => {
    const j = await device('jwt');
    const cookie = `${REFRESH_COOKIE}=${j.body.refreshToken}`;
    assertForbidden(await call({ method: 'POST', url: '/auth/refresh', headers: { cookie, origin: EVIL }, payload: {} }));
    assertForbidden(await call({ method: 'POST', url: '/auth/refresh', headers: { cookie, 'sec-fetch-site': 'cross-site' }, payload: {} }));
    assertForbidden(await call({ method: 'POST', url: '/auth/refresh', headers: { cookie, 'sec-fetch-site': 'same-site' }, payload: {} }));
    const ok = await call({ method: 'POST', url: '/auth/refresh', headers: { cookie, origin: OWN }, payload: {} });
    assert.equal(ok.statusCode, 200, ok.body);
    secrets.add(body(ok).accessToken);
    secrets.add(body(ok).refreshToken);
  });

  it('POST /auth/refresh that carries the refresh cookie is checked even when the body names a token (spec: requests that carry the cookie)', async () => {
    const j = await device('jwt');
    const res = await call({
      method: 'POST', url: '/auth/refresh',
      headers: { cookie: `${REFRESH_COOKIE}=${j.body.refreshToken}`, origin: EVIL },
      payload: { refreshToken: j.body.refreshToken },
    });
    if (res.statusCode === 200) {
      secrets.add(body(res).accessToken);
      secrets.add(body(res).refreshToken);
    }
    assertForbidden(res);
  });

  it('safe methods are not checked: GET /auth/me and /auth/sessions from a foreign origin answer 200', async () => {
    const a = await device('session');
    assert.equal((await call({ method: 'GET', url: '/auth/me', headers: { ...a.headers, origin: EVIL, 'sec-fetch-site': 'cross-site' } })).statusCode, 200);
    assert.equal((await call({ method: 'GET', url: '/auth/sessions', headers: { ...a.headers, origin: EVIL } })).statusCode, 200);
  });
});

describe('sign-in and sign-up from another site (login CSRF)', () => {
  it('POST /auth/login with a foreign Origin or cross-site/same-site fetch metadata: 403, no cookie', async () => {
    const a = await device('session');
    for (const extra of [{ origin: EVIL }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'null' }]) {
      for (const mode of ['session', 'jwt']) {
        assertForbidden(await call({ method: 'POST', url: '/auth/login', headers: extra, payload: { email: a.email, password: GOOD_PASSWORD, mode } }));
      }
    }
  });

  it('POST /auth/register with a foreign Origin: 403 and no account is created', async () => {
    const email = `csrf-register-${Date.now()}@example.com`;
    assertForbidden(await call({ method: 'POST', url: '/auth/register', headers: { origin: EVIL }, payload: { email, password: GOOD_PASSWORD } }));
    assertForbidden(await call({ method: 'POST', url: '/auth/register', headers: { 'sec-fetch-site': 'cross-site' }, payload: { email, password: GOOD_PASSWORD } }));
    const res = await call({ method: 'POST', url: '/auth/register', headers: { origin: OWN }, payload: { email, password: GOOD_PASSWORD } });
    assert.equal(res.statusCode, 201, res.body);
  });
});

describe('allowed origins', () => {
  it('the request\'s own origin (http://localhost for inject\'s host localhost:80) and Sec-Fetch-Site same-origin/none pass', async () => {
    const a = await device('session');
    for (const extra of [{ origin: OWN }, { 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, { origin: OWN, 'sec-fetch-site': 'same-origin' }]) {
      const res = await call({ method: 'POST', url: '/auth/login', headers: extra, payload: { email: a.email, password: GOOD_PASSWORD } });
      assert.equal(res.statusCode, 200, `${JSON.stringify(extra)}: ${res.body}`);
      secrets.add(cookiesOf(res)[SESSION_COOKIE]!);
    }
    const other = await device('session', a.email);
    assert.equal((await call({ method: 'DELETE', url: `/auth/sessions/${other.body.session.id}`, headers: { ...a.headers, origin: OWN } })).statusCode, 204);
    assert.equal((await call({ method: 'POST', url: '/auth/logout', headers: { ...a.headers, origin: OWN, 'sec-fetch-site': 'same-origin' } })).statusCode, 204);
  });

  it('the own origin follows the Host header', async () => {
    const a = await device('session');
    const host = 'auth.example.test:8443';
    assertForbidden(await call({ method: 'POST', url: '/auth/logout', headers: { ...a.headers, host, origin: OWN } }));
    assert.equal((await call({ method: 'POST', url: '/auth/logout', headers: { ...a.headers, host, origin: `http://${host}` } })).statusCode, 204);
  });

  it('an origin listed in TESSERA_TRUSTED_ORIGINS passes, even with Sec-Fetch-Site: cross-site', async () => {
    const a = await device('session');
    const res = await call({ method: 'POST', url: '/auth/login', headers: { origin: TRUSTED, 'sec-fetch-site': 'cross-site' }, payload: { email: a.email, password: GOOD_PASSWORD } });
    assert.equal(res.statusCode, 200, res.body);
    const cookie = cookiesOf(res)[SESSION_COOKIE]!;
    secrets.add(cookie);
    const out = await call({ method: 'POST', url: '/auth/logout', headers: { cookie: `${SESSION_COOKIE}=${cookie}`, origin: TRUSTED } });
    assert.equal(out.statusCode, 204, out.body);
    // A look-alike of the trusted origin is not trusted.
    for (const origin of ['https://app.example.com.evil.example', 'http://app.example.com', 'https://evil-app.example.com']) {
      assertForbidden(await call({ method: 'POST', url: '/auth/logout', headers: { ...a.headers, origin } }));
    }
  });

  it('the issuer\'s origin is trusted', async () => {
    const a = await device('session');
    const issuerOrigin = new URL(s.auth.options.issuer).origin;
    assert.equal((await call({ method: 'POST', url: '/auth/logout', headers: { ...a.headers, origin: issuerOrigin } })).statusCode, 204);
  });
});

describe('bearer-authenticated requests are not subject to the Origin check (no cookie, no CSRF)', () => {
  it('logout, password change, DELETE session and logout-all with a Bearer token from a foreign origin succeed', async () => {
    const j = await device('jwt');
    const other = await device('jwt', j.email);
    const headers = { ...j.headers, origin: EVIL, 'sec-fetch-site': 'cross-site' };
    const del = await call({ method: 'DELETE', url: `/auth/sessions/${other.body.refreshToken.split('.')[0]}`, headers });
    assert.equal(del.statusCode, 204, del.body);
    const pw = await call({ method: 'POST', url: '/auth/password', headers, payload: { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD } });
    assert.equal(pw.statusCode, 200, pw.body);
    secrets.add(body(pw).accessToken);
    secrets.add(body(pw).refreshToken);
    const next = { authorization: `Bearer ${body(pw).accessToken}`, origin: EVIL };
    assert.equal((await call({ method: 'POST', url: '/auth/logout-all', headers: next })).statusCode, 204);

    const k = await device('jwt');
    assert.equal((await call({ method: 'POST', url: '/auth/logout', headers: { ...k.headers, origin: EVIL } })).statusCode, 204);
  });

  it('a Bearer token does not carry a victim\'s cookie past the check: cookie + the attacker\'s own token from a foreign origin is 403, and the victim stays signed in', async () => {
    const victim = await device('session');
    const attacker = await device('jwt');
    for (const [label, options] of cookieRequests(victim, victim.id)) {
      const res = await call(withHeaders(options, { authorization: (attacker.headers as { authorization: string }).authorization, origin: EVIL, 'sec-fetch-site': 'cross-site' }));
      assertForbidden(res);
      assert.equal((await me(victim.headers)).statusCode, 200, `${label}: the victim's session survives`);
    }
    assert.equal((await me(attacker.headers)).statusCode, 200, 'nor did the attacker\'s token act');
  });

  it('refresh with the token in the body (no cookie) from a foreign origin succeeds', async () => {
    const j = await device('jwt');
    const res = await call({ method: 'POST', url: '/auth/refresh', headers: { origin: EVIL }, payload: { refreshToken: j.body.refreshToken } });
    assert.equal(res.statusCode, 200, res.body);
    secrets.add(body(res).accessToken);
    secrets.add(body(res).refreshToken);
  });
});

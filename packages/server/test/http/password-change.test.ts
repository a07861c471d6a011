// POST /auth/password: the current password is checked; on success every other session
// record of the user ends (both modes) and the caller continues on a fresh credential.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertError, disposeAndCheckLog, httpClient, REFRESH_COOKIE, SESSION_COOKIE, signInDevice,
} from '../helpers/http-assertions.js';
import { body, cookiesOf, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

const NEW_PASSWORD = 'a brand new passphrase for tessera';
const NEWER_PASSWORD = 'yet another passphrase, even newer';
const WRONG_PASSWORD = 'this is not the current password';

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD, NEW_PASSWORD, NEWER_PASSWORD, WRONG_PASSWORD]);
const { call, me, refresh } = httpClient(() => s);

const device = (mode: 'session' | 'jwt', email?: string) => signInDevice(s, secrets, mode, email);
const changePassword = (headers: Record<string, string>, currentPassword: string, newPassword: string) =>
  call({ method: 'POST', url: '/auth/password', headers, payload: { currentPassword, newPassword } });
const login = (email: string, password: string) => call({ method: 'POST', url: '/auth/login', payload: { email, password } });

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(() => disposeAndCheckLog(s, secrets));

describe('POST /auth/password', () => {
  it('a wrong current password: 401 invalid_credentials, nothing changes', async () => {
    const a = await device('session');
    const other = await device('jwt', a.email);
    const res = await changePassword(a.headers, WRONG_PASSWORD, NEW_PASSWORD);
    assertError(res, 401, 'invalid_credentials');
    assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tessera"/);
    assert.equal(cookiesOf(res)[SESSION_COOKIE], undefined);
    assert.equal((await me(a.headers)).statusCode, 200);
    assert.equal((await me(other.headers)).statusCode, 200);
    assert.equal((await login(a.email, GOOD_PASSWORD)).statusCode, 200);
    assertError(await login(a.email, NEW_PASSWORD), 401, 'invalid_credentials');
  });

  it('a weak new password: 400 weak_password, nothing changes', async () => {
    const a = await device('session');
    assertError(await changePassword(a.headers, GOOD_PASSWORD, 'short'), 400, 'weak_password');
    assertError(await changePassword(a.headers, GOOD_PASSWORD, '1qaz2wsx3edc4rfv'), 400, 'weak_password');
    assert.equal((await me(a.headers)).statusCode, 200);
  });

  it('needs authentication and a well-formed body', async () => {
    assertError(await changePassword({}, GOOD_PASSWORD, NEW_PASSWORD), 401, 'unauthorized');
    const a = await device('session');
    assertError(await call({ method: 'POST', url: '/auth/password', headers: a.headers, payload: { newPassword: NEW_PASSWORD } }), 400, 'invalid_request');
    assertError(await call({ method: 'POST', url: '/auth/password', headers: a.headers, payload: { currentPassword: 5, newPassword: NEW_PASSWORD } }), 400, 'invalid_request');
  });

  it('session mode: 200 with a new cookie; the old cookie and every other record are refused', async () => {
    const caller = await device('session');
    const laptop = await device('session', caller.email);
    const phone = await device('jwt', caller.email);
    const stranger = await device('session');
    const oldCookie = caller.cookies[SESSION_COOKIE]!;

    const res = await changePassword(caller.headers, GOOD_PASSWORD, NEW_PASSWORD);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const b = body(res);
    assert.equal(b.mode, 'session');
    assert.equal(b.user.id, caller.userId);
    assert.deepEqual(Object.keys(b.session).sort(), ['expiresAt', 'id']);
    const newCookie = cookiesOf(res)[SESSION_COOKIE];
    assert.ok(newCookie, 'a new session cookie is set');
    secrets.add(newCookie);
    assert.notEqual(newCookie, oldCookie);
    assert.notEqual(newCookie.split('.')[0], oldCookie.split('.')[0], 'a new session record');
    assert.equal(newCookie.split('.')[0], b.session.id);

    const newHeaders = { cookie: `${SESSION_COOKIE}=${newCookie}` };
    const who = await me(newHeaders);
    assert.equal(who.statusCode, 200, who.body);
    assert.equal(body(who).user.id, caller.userId);
    for (const d of [caller, laptop, phone]) assertError(await me(d.headers), 401, 'unauthorized');
    assertError(await refresh(phone.body.refreshToken), 401, 'invalid_grant');
    assert.equal((await me(stranger.headers)).statusCode, 200);

    const rows = body(await call({ method: 'GET', url: '/auth/sessions', headers: newHeaders })).sessions as Array<Record<string, unknown>>;
    assert.deepEqual(rows.map((r) => r.id), [b.session.id]);

    assertError(await login(caller.email, GOOD_PASSWORD), 401, 'invalid_credentials');
    assert.equal((await login(caller.email, NEW_PASSWORD)).statusCode, 200);
  });

  it('jwt mode: 200 with a new token pair; the old access and refresh tokens and every other record are refused', async () => {
    const caller = await device('jwt');
    const browser = await device('session', caller.email);
    const tablet = await device('jwt', caller.email);

    const res = await changePassword(caller.headers, GOOD_PASSWORD, NEW_PASSWORD);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const b = body(res);
    secrets.add(b.accessToken);
    secrets.add(b.refreshToken);
    assert.deepEqual(Object.keys(b).sort(), ['accessToken', 'expiresIn', 'mode', 'refreshToken', 'tokenType', 'user']);
    assert.equal(b.mode, 'jwt');
    assert.equal(b.tokenType, 'Bearer');
    assert.notEqual(b.accessToken, caller.body.accessToken);
    assert.notEqual(b.refreshToken, caller.body.refreshToken);
    assert.equal(cookiesOf(res)[REFRESH_COOKIE], b.refreshToken);

    const who = await me({ authorization: `Bearer ${b.accessToken}` });
    assert.equal(who.statusCode, 200, who.body);
    assert.equal(body(who).user.id, caller.userId);
    for (const d of [caller, browser, tablet]) assertError(await me(d.headers), 401, 'unauthorized');
    for (const d of [caller, tablet]) assertError(await refresh(d.body.refreshToken), 401, 'invalid_grant');
    const next = await refresh(b.refreshToken);
    assert.equal(next.statusCode, 200, next.body);
    secrets.add(body(next).accessToken);
    secrets.add(body(next).refreshToken);

    // And again, from the new credential, with the new password as the current one.
    const again = await changePassword({ authorization: `Bearer ${body(next).accessToken}` }, NEW_PASSWORD, NEWER_PASSWORD);
    assert.equal(again.statusCode, 200, again.body);
    secrets.add(body(again).accessToken);
    secrets.add(body(again).refreshToken);
    assertError(await me({ authorization: `Bearer ${body(next).accessToken}` }), 401, 'unauthorized');
  });
});

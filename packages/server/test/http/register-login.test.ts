// POST /auth/register and POST /auth/login over HTTP: response shapes, email handling, the
// password policy (length, blocklist, no truncation) and the credential each mode hands out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertError, disposeAndCheckLog, freshEmail, httpClient, ISO_TIME, parseSetCookie, REFRESH_COOKIE, SESSION_COOKIE, setCookieLines,
} from '../helpers/http-assertions.js';
import { body, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

let s: TestServer;
/** Every password, token and cookie value this file used: none may reach the log. */
const secrets = new Set<string>([GOOD_PASSWORD]);
const { call } = httpClient(() => s);

const register = (email: string, password: string) => {
  secrets.add(password);
  return call({ method: 'POST', url: '/auth/register', payload: { email, password } });
};
const login = (payload: Record<string, unknown>) => call({ method: 'POST', url: '/auth/login', payload });

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(() => disposeAndCheckLog(s, secrets));

describe('POST /auth/register', () => {
  it('answers 201 {user:{id,email,createdAt,emailVerifiedAt}} and nothing else', async () => {
    const email = freshEmail('reg');
    const res = await register(email, GOOD_PASSWORD);
    assert.equal(res.statusCode, 201, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const b = body(res);
    assert.deepEqual(Object.keys(b), ['user']);
    assert.deepEqual(Object.keys(b.user).sort(), ['createdAt', 'email', 'emailVerifiedAt', 'id']);
    assert.equal(b.user.email, email);
    assert.equal(typeof b.user.id, 'string');
    assert.ok(b.user.id.length > 0);
    assert.match(b.user.createdAt, ISO_TIME);
    assert.equal(b.user.createdAt, new Date(s.clock!.nowMs()).toISOString());
    assert.equal(setCookieLines(res).length, 0, 'registering does not sign in');
  });

  it('trims the email and compares it case-insensitively', async () => {
    const local = `Mixed.Case.${Date.now()}`;
    const res = await register(`   ${local}@Example.COM \t`, GOOD_PASSWORD);
    assert.equal(res.statusCode, 201, res.body);
    const user = body(res).user;
    assert.equal(user.email, `${local}@Example.COM`);

    assertError(await register(`${local.toLowerCase()}@example.com`, GOOD_PASSWORD), 409, 'email_taken');
    assertError(await register(` ${local.toUpperCase()}@EXAMPLE.COM `, GOOD_PASSWORD), 409, 'email_taken');

    const signedIn = await login({ email: `  ${local.toUpperCase()}@example.com  `, password: GOOD_PASSWORD });
    assert.equal(signedIn.statusCode, 200, signedIn.body);
    assert.equal(body(signedIn).user.id, user.id);
  });

  it('refuses a 14-character password and accepts 15 characters (the default minimum)', async () => {
    assertError(await register(freshEmail('reg'), 'zq8#Lm2!vR7@pX'), 400, 'weak_password');
    const ok = await register(freshEmail('reg'), 'zq8#Lm2!vR7@pX4');
    assert.equal(ok.statusCode, 201, ok.body);
  });

  it('refuses common passwords, whatever their case', async () => {
    assertError(await register(freshEmail('reg'), '1qaz2wsx3edc4rfv'), 400, 'weak_password');
    assertError(await register(freshEmail('reg'), 'QWERTY123456789'), 400, 'weak_password');
  });

  it('refuses the email address as the password', async () => {
    const email = `someone.with.a.long.name.${Date.now()}@example.com`;
    assertError(await register(email, email), 400, 'weak_password');
  });

  it('never truncates: two 80-character passwords that differ only in the last character are different passwords', async () => {
    const stem = 'Tessera never truncates a passphrase, however long it is: 0123456789abcdefghijk';
    assert.equal(stem.length, 79);
    const first = `${stem}A`;
    const second = `${stem}B`;
    const email = freshEmail('reg');
    assert.equal((await register(email, first)).statusCode, 201);
    secrets.add(second);
    assertError(await login({ email, password: second }), 401, 'invalid_credentials');
    assert.equal((await login({ email, password: first })).statusCode, 200);
  });

  it('refuses (does not truncate) a password over the maximum length', async () => {
    assertError(await register(freshEmail('reg'), 'x7'.repeat(600)), 400, 'weak_password');
  });

  it('applies NFKC: a composed and a decomposed accent are the same password', async () => {
    const email = freshEmail('reg');
    const composed = 'Cr\u00e8me br\u00fbl\u00e9e for dessert tonight';
    const decomposed = composed.normalize('NFD');
    assert.notEqual(composed, decomposed);
    assert.equal((await register(email, composed)).statusCode, 201);
    secrets.add(decomposed);
    assert.equal((await login({ email, password: decomposed })).statusCode, 200);
  });
});

describe('POST /auth/login', () => {
  let email: string;
  before(async () => {
    email = freshEmail('reg');
    assert.equal((await register(email, GOOD_PASSWORD)).statusCode, 201);
  });

  it('session mode (the default): {user, mode, session:{id, expiresAt}} and nothing else', async () => {
    const res = await login({ email, password: GOOD_PASSWORD });
    assert.equal(res.statusCode, 200, res.body);
    const b = body(res);
    assert.deepEqual(Object.keys(b).sort(), ['mode', 'session', 'user']);
    assert.equal(b.mode, 'session');
    assert.deepEqual(Object.keys(b.user).sort(), ['createdAt', 'email', 'emailVerifiedAt', 'id']);
    assert.equal(b.user.email, email);
    assert.deepEqual(Object.keys(b.session).sort(), ['expiresAt', 'id']);
    // The earlier of idle (24 h) and absolute (30 d) expiry.
    assert.equal(b.session.expiresAt, new Date(s.clock!.nowMs() + 86_400_000).toISOString());
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('session mode sets exactly one cookie: __Host-tessera_session, HttpOnly, Secure, SameSite=Lax, Path=/, no Domain', async () => {
    const res = await login({ email, password: GOOD_PASSWORD, mode: 'session' });
    assert.equal(res.statusCode, 200, res.body);
    const lines = setCookieLines(res);
    assert.equal(lines.length, 1, `cookies: ${lines.join(' | ')}`);
    const c = parseSetCookie(lines[0]!);
    secrets.add(c.value);
    assert.equal(c.name, SESSION_COOKIE);
    assert.equal(c.attrs.get('httponly'), true);
    assert.equal(c.attrs.get('secure'), true);
    assert.equal(String(c.attrs.get('samesite')).toLowerCase(), 'lax');
    assert.equal(c.attrs.get('path'), '/');
    assert.equal(c.attrs.has('domain'), false);
    // The cookie names the session record of the body.
    assert.equal(c.value.split('.')[0], body(res).session.id);
    // The token is not in the body.
    assert.ok(!res.body.includes(c.value.split('.')[1]!));
  });

  it('jwt mode: {user, mode, accessToken, tokenType, expiresIn, refreshToken} and the refresh cookie', async () => {
    const res = await login({ email, password: GOOD_PASSWORD, mode: 'jwt' });
    assert.equal(res.statusCode, 200, res.body);
    const b = body(res);
    secrets.add(b.accessToken);
    secrets.add(b.refreshToken);
    assert.deepEqual(Object.keys(b).sort(), ['accessToken', 'expiresIn', 'mode', 'refreshToken', 'tokenType', 'user']);
    assert.equal(b.mode, 'jwt');
    assert.equal(b.tokenType, 'Bearer');
    assert.equal(b.expiresIn, 900);
    assert.equal(b.accessToken.split('.').length, 3);
    assert.equal(typeof b.refreshToken, 'string');
    assert.equal(b.user.email, email);
    assert.equal(res.headers['cache-control'], 'no-store');

    const lines = setCookieLines(res);
    assert.equal(lines.length, 1, `cookies: ${lines.join(' | ')}`);
    const c = parseSetCookie(lines[0]!);
    assert.equal(c.name, REFRESH_COOKIE);
    assert.equal(c.value, b.refreshToken);
    assert.equal(c.attrs.get('httponly'), true);
    assert.equal(c.attrs.get('secure'), true);
    assert.equal(c.attrs.get('path'), '/auth/refresh');
    assert.equal(c.attrs.has('domain'), false);
  });

  it('refuses an unknown mode with 400 invalid_request', async () => {
    assertError(await login({ email, password: GOOD_PASSWORD, mode: 'oauth' }), 400, 'invalid_request');
  });

  it('a wrong password and an unknown email get the same 401 invalid_credentials', async () => {
    secrets.add('not the right password at all');
    const wrong = await login({ email, password: 'not the right password at all' });
    const unknown = await login({ email: freshEmail('reg'), password: 'not the right password at all' });
    assertError(wrong, 401, 'invalid_credentials');
    assertError(unknown, 401, 'invalid_credentials');
    assert.equal(wrong.body, unknown.body);
    assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="tessera"');
    assert.equal(unknown.headers['www-authenticate'], wrong.headers['www-authenticate']);
    assert.equal(setCookieLines(wrong).length, 0);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { rawRequest } from '../helpers/raw-socket.js';
import { body, GOOD_PASSWORD, signIn, signUpAndIn, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

const ADMIN_KEY = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
const OTHER_KEY = 'b'.repeat(40);
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const SERVICE_KEY = 's'.repeat(40);

describe('admin API', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer({ env: { TESSERA_ADMIN_KEYS: `${OTHER_KEY},${ADMIN_KEY}`, TESSERA_SERVICE_KEYS: SERVICE_KEY } }); });
  after(async () => { await s.dispose(); });

  it('401 with WWW-Authenticate without a valid admin key; a user token is not one', async () => {
    const me = await signUpAndIn(s, 'jwt');
    for (const headers of [{}, { authorization: 'Bearer wrong-key-wrong-key-wrong-key-wrong' }, me.headers, { authorization: `Basic ${ADMIN_KEY}` }]) {
      for (const [method, url] of [['GET', '/admin/users'], ['POST', `/admin/users/${me.userId}/disable`], ['DELETE', `/admin/users/${me.userId}`], ['GET', `/admin/users/${me.userId}/audit`]] as const) {
        const res = await s.app.inject({ method, url, headers });
        assert.equal(res.statusCode, 401, `${method} ${url} ${JSON.stringify(headers)}`);
        assert.equal(body(res).error.code, 'unauthorized');
        assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tessera"/);
      }
    }
    assert.equal((await s.app.inject({ url: '/auth/me', headers: me.headers })).statusCode, 200, 'nothing happened');
    // The key is checked before the body is read: a caller without one learns nothing from
    // how its body is judged, and no error is logged for it.
    const logged = s.logText().length;
    for (const [headers, payload] of [[{ 'content-type': 'text/plain' }, 'x'], [{ 'content-type': 'application/json' }, '{"bad']] as const) {
      const res = await s.app.inject({ method: 'POST', url: '/admin/bench', headers, payload });
      assert.equal(res.statusCode, 401, res.body);
      assert.equal(body(res).error.code, 'unauthorized');
    }
    assert.doesNotMatch(s.logText().slice(logged), /"level":50/, 'no error line');
  });

  it('two Authorization lines are no key, on the admin API and the revocation feed, whichever comes first', async () => {
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = s.app.server.address() as AddressInfo;
    const statusOf = async (path: string, lines: string[]): Promise<string> => {
      const raw = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.map((l) => `Authorization: ${l}\r\n`).join('')}Connection: close\r\n\r\n`, 500);
      return raw.slice(0, raw.indexOf('\r\n'));
    };
    for (const [path, key] of [['/admin/users?limit=1', ADMIN_KEY], ['/auth/revocations', SERVICE_KEY]] as const) {
      assert.equal(await statusOf(path, [`Bearer ${key}`]), 'HTTP/1.1 200 OK', `${path}: one line`);
      // Node keeps only the first line in request.headers; a proxy in front may have checked the other.
      assert.equal(await statusOf(path, [`Bearer ${key}`, 'Bearer garbage']), 'HTTP/1.1 401 Unauthorized', `${path}: key first`);
      assert.equal(await statusOf(path, ['Bearer garbage', `Bearer ${key}`]), 'HTTP/1.1 401 Unauthorized', `${path}: key second`);
    }
  });

  it('takes bodies by the auth API rules: an empty JSON body is no body; another charset, bad UTF-8 or compression is refused', async () => {
    const victim = await signUpAndIn(s, 'session');
    const post = (url: string, headers: Record<string, string>, payload: string | Buffer) =>
      s.app.inject({ method: 'POST', url, headers: { ...admin, ...headers }, payload });
    const json = { 'content-type': 'application/json' };
    // Fastify's own parser refused an empty body sent as JSON (400), which clients that always
    // set the content type send.
    assert.equal((await post(`/admin/users/${victim.userId}/disable`, json, '')).statusCode, 204);
    assert.equal((await post(`/admin/users/${victim.userId}/enable`, json, '')).statusCode, 204);
    const logged = s.logText().length;
    const bench = '{"durationSeconds":1}';
    assert.equal(body(await post('/admin/bench', { 'content-type': 'application/json; charset=latin1' }, bench)).error.code, 'unsupported_media_type');
    assert.equal(body(await post('/admin/bench', { ...json, 'content-encoding': 'gzip' }, bench)).error.code, 'unsupported_media_type');
    const badUtf8 = await post('/admin/bench', json, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
    assert.equal(badUtf8.statusCode, 400);
    assert.equal(body(badUtf8).error.code, 'invalid_request');
    // Refusals of bad input, not failures of the server: no error line (there was one, with a
    // stack, for each: the error handler took a TesseraError without statusCode for a 500).
    assert.doesNotMatch(s.logText().slice(logged), /"level":50/);
  });

  it('lists users a page at a time, without password hashes; a bad query is 400', async () => {
    for (let i = 0; i < 3; i++) await signUpAndIn(s, 'session');
    const first = await s.app.inject({ url: '/admin/users?limit=2', headers: admin });
    assert.equal(first.statusCode, 200);
    assert.equal(first.headers['cache-control'], 'no-store');
    const page = body(first);
    assert.equal(page.users.length, 2);
    assert.deepEqual(Object.keys(page.users[0]).sort(), ['createdAt', 'disabledAt', 'email', 'emailVerifiedAt', 'id']);
    const second = body(await s.app.inject({ url: `/admin/users?limit=2&after=${encodeURIComponent(page.next)}`, headers: admin }));
    assert.ok(second.users.every((u: { id: string }) => u.id > page.next));
    assert.ok(!first.body.includes('argon2'));
    for (const q of ['limit=0', 'limit=1001', 'limit=x', 'limit=1&limit=2', 'other=1']) {
      const res = await s.app.inject({ url: `/admin/users?${q}`, headers: admin });
      assert.equal(res.statusCode, 400, q);
      assert.equal(body(res).error.code, 'invalid_request');
    }
  });

  it("disable: the account's cookie and access token are refused on the next request; sign-in is 403; enable lets it back", async () => {
    const email = `disable-${Date.now()}@example.com`;
    const cookie = await signUpAndIn(s, 'session', email);
    const jwt = await signIn(s, 'jwt', email);
    const res = await s.app.inject({ method: 'POST', url: `/admin/users/${cookie.userId}/disable`, headers: admin });
    assert.equal(res.statusCode, 204, res.body);
    for (const headers of [cookie.headers, jwt.headers]) assert.equal((await s.app.inject({ url: '/auth/me', headers })).statusCode, 401);
    const refresh = await s.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: jwt.body.refreshToken } });
    assert.equal(refresh.statusCode, 401);
    const login = () => s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD } });
    assert.equal((await login()).statusCode, 403);
    assert.equal((await s.app.inject({ method: 'POST', url: `/admin/users/${cookie.userId}/enable`, headers: admin })).statusCode, 204);
    assert.equal((await login()).statusCode, 200);
    assert.equal((await s.app.inject({ url: '/auth/me', headers: jwt.headers })).statusCode, 401, 'what was ended stays ended');
    const audit = body(await s.app.inject({ url: `/admin/users/${cookie.userId}/audit?limit=3`, headers: admin }));
    assert.deepEqual(audit.entries.map((e: { type: string }) => e.type), ['sign_in', 'user_enabled', 'sign_in_failed']);
    assert.equal(typeof audit.next, 'number');
    const older = body(await s.app.inject({ url: `/admin/users/${cookie.userId}/audit?before=${audit.next}`, headers: admin }));
    assert.equal(older.entries[0].type, 'user_disabled');
    assert.equal(older.entries[0].detail, 'sessions_ended=2');
  });

  it('delete: 204, then 404; unknown ids are 404', async () => {
    const me = await signUpAndIn(s, 'jwt');
    assert.equal((await s.app.inject({ method: 'DELETE', url: `/admin/users/${me.userId}`, headers: admin })).statusCode, 204);
    assert.equal((await s.app.inject({ url: '/auth/me', headers: me.headers })).statusCode, 401);
    for (const [method, url] of [['DELETE', `/admin/users/${me.userId}`], ['POST', '/admin/users/nobody/disable'], ['POST', '/admin/users/nobody/enable']] as const) {
      const res = await s.app.inject({ method, url, headers: admin });
      assert.equal(res.statusCode, 404, url);
      assert.equal(body(res).error.code, 'not_found');
    }
  });

  it('405 with Allow for other methods', async () => {
    const res = await s.app.inject({ method: 'POST', url: '/admin/users', headers: admin });
    assert.equal(res.statusCode, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
    const del = await s.app.inject({ method: 'GET', url: '/admin/users/x/disable', headers: admin });
    assert.equal(del.statusCode, 405);
    assert.equal(del.headers.allow, 'POST');
  });

  it('with no admin key configured, every request is 401', async () => {
    const plain = await startTestServer();
    try {
      const res = await plain.app.inject({ url: '/admin/users', headers: admin });
      assert.equal(res.statusCode, 401);
    } finally {
      await plain.dispose();
    }
  });
});

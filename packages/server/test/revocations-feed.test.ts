import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { body, signUpAndIn, startTestServer } from './helpers/test-server.js';
import type { TestServer } from './helpers/test-server.js';

const SERVICE_KEY = 'svc_' + 'k'.repeat(40);

describe('GET /auth/revocations', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer({ env: { TESSERA_SERVICE_KEYS: `other_${'x'.repeat(40)},${SERVICE_KEY}` }, manualClock: true }); });
  after(async () => { await s.dispose(); });

  it('requires a service key: none, a wrong one, or a user token get 401', async () => {
    const user = await signUpAndIn(s, 'jwt');
    for (const headers of [{}, { authorization: `Bearer ${SERVICE_KEY}x` }, user.headers]) {
      const res = await s.app.inject({ method: 'GET', url: '/auth/revocations', headers });
      assert.equal(res.statusCode, 401);
      assert.equal(body(res).error.code, 'unauthorized');
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tessera"/);
    }
  });

  it('serves every ended session and logout-all "not before" in order, from a cursor', async () => {
    const auth = { authorization: `Bearer ${SERVICE_KEY}` };
    const start = body(await s.app.inject({ method: 'GET', url: '/auth/revocations', headers: auth }));
    const a = await signUpAndIn(s, 'jwt');
    const b = await signUpAndIn(s, 'session');
    assert.equal((await s.app.inject({ method: 'POST', url: '/auth/logout', headers: a.headers })).statusCode, 204);
    assert.equal((await s.app.inject({ method: 'POST', url: '/auth/logout-all', headers: b.headers })).statusCode, 204);
    const res = await s.app.inject({ method: 'GET', url: `/auth/revocations?since=${start.cursor}`, headers: auth });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const feed = body(res);
    assert.deepEqual(feed.revocations.map((r: { kind: string; subject: string }) => [r.kind, r.subject]), [
      ['session', a.body.auth?.id ?? JSON.parse(Buffer.from(a.body.accessToken.split('.')[1], 'base64url').toString()).sid],
      ['session', b.body.session.id],
      ['user', b.userId],
    ]);
    const again = body(await s.app.inject({ method: 'GET', url: `/auth/revocations?since=${feed.cursor}`, headers: auth }));
    assert.deepEqual(again.revocations, []);
    assert.equal(again.cursor, feed.cursor);
  });

  it('refuses a malformed cursor with 400', async () => {
    for (const since of ['-1', 'abc', '1e9', '9'.repeat(20)]) {
      const res = await s.app.inject({ method: 'GET', url: `/auth/revocations?since=${since}`, headers: { authorization: `Bearer ${SERVICE_KEY}` } });
      assert.equal(res.statusCode, 400, since);
      assert.equal(body(res).error.code, 'invalid_request');
    }
  });

  it('purges expired rows so the database does not grow without bound', async () => {
    const user = await signUpAndIn(s, 'session');
    await s.app.inject({ method: 'POST', url: '/auth/logout', headers: user.headers });
    s.clock!.advanceSeconds(2_592_000 + 1);
    const removed = await s.auth.purgeExpired();
    assert.ok(removed > 0);
    const feed = body(await s.app.inject({ method: 'GET', url: '/auth/revocations', headers: { authorization: `Bearer ${SERVICE_KEY}` } }));
    assert.deepEqual(feed.revocations, [], 'expired feed entries are gone');
    assert.equal(await s.auth.purgeExpired(), 0);
  });
});

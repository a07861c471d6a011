// GET /auth/audit: the caller's own audit entries, newest first, paged with ?before= and ?limit=.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, httpClient, ISO_TIME } from '../helpers/http-assertions.js';
import { body, GOOD_PASSWORD, signIn, signUpAndIn, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

type Entry = { seq: number; at: string; type: string; sessionId: string | null; ip: string | null; detail: string | null };

let s: TestServer;
const { call } = httpClient(() => s);

async function audit(headers: Record<string, string>, query = ''): Promise<{ entries: Entry[]; next: number | null }> {
  const res = await call({ method: 'GET', url: `/auth/audit${query}`, headers });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['cache-control'], 'no-store');
  const b = body(res);
  assert.deepEqual(Object.keys(b).sort(), ['entries', 'next']);
  return b as { entries: Entry[]; next: number | null };
}

before(async () => {
  s = await startTestServer();
});

after(async () => {
  await s.dispose();
});

describe('GET /auth/audit', () => {
  it("shows the caller their own entries only, newest first, in either mode, with no secret", async () => {
    const a = await signUpAndIn(s, 'session');
    const aJwt = await signIn(s, 'jwt', a.email);
    const b = await signUpAndIn(s, 'session');
    // A failed sign-in on a's account, one for an unknown email, and b's own doings.
    assert.equal((await call({ method: 'POST', url: '/auth/login', payload: { email: a.email, password: 'not the right password' } })).statusCode, 401);
    assert.equal((await call({ method: 'POST', url: '/auth/login', payload: { email: 'ghost@example.com', password: GOOD_PASSWORD } })).statusCode, 401);
    assert.equal((await call({ method: 'POST', url: '/auth/logout-all', headers: b.headers })).statusCode, 204);
    const bSessionId = b.body.session.id as string;

    for (const headers of [a.headers, aJwt.headers]) {
      const { entries, next } = await audit(headers);
      assert.equal(next, null);
      assert.deepEqual(entries.map((e) => [e.type, e.detail]), [
        ['sign_in_failed', 'mode=session reason=invalid_credentials'],
        ['sign_in', 'mode=jwt'],
        ['sign_in', 'mode=session'],
        ['sign_up', null],
      ]);
      assert.deepEqual(entries.map((e) => e.sessionId), [null, aJwt.body.refreshToken.split('.')[0], a.body.session.id, null]);
      for (const e of entries) {
        assert.deepEqual(Object.keys(e).sort(), ['at', 'detail', 'ip', 'seq', 'sessionId', 'type'], 'no userId: they are all the caller\'s');
        assert.match(e.at, ISO_TIME);
        assert.equal(e.ip, '127.0.0.1');
        assert.notEqual(e.sessionId, bSessionId);
      }
      const text = JSON.stringify(entries);
      for (const secret of [GOOD_PASSWORD, 'not the right password', a.email, 'ghost@example.com', aJwt.body.accessToken, aJwt.body.refreshToken, a.cookies['__Host-tessera_session']!]) {
        assert.ok(!text.includes(secret), 'no secret, email or credential in the audit entries');
      }
    }
    const bAgain = await signIn(s, 'session', b.email);
    const own = await audit(bAgain.headers);
    assert.deepEqual(own.entries.map((e) => e.type), ['sign_in', 'sessions_ended_all', 'sign_in', 'sign_up']);
    assert.ok(own.entries.every((e) => e.sessionId === null || [bSessionId, bAgain.body.session.id].includes(e.sessionId)));
  });

  it('pages with limit and before; next is null on the last page', async () => {
    const a = await signUpAndIn(s, 'jwt');
    for (let i = 0; i < 4; i++) await signIn(s, 'jwt', a.email);
    // sign_up + 5 sign_in = 6 entries.
    const first = await audit(a.headers, '?limit=4');
    assert.equal(first.entries.length, 4);
    assert.equal(typeof first.next, 'number');
    assert.equal(first.next, first.entries.at(-1)!.seq);
    const second = await audit(a.headers, `?limit=4&before=${first.next}`);
    assert.deepEqual(second.entries.map((e) => e.type), ['sign_in', 'sign_up']);
    assert.equal(second.next, null);
    const seqs = [...first.entries, ...second.entries].map((e) => e.seq);
    assert.ok(seqs.every((seq, i) => i === 0 || seq < seqs[i - 1]!), 'strictly newest first across pages');
    assert.equal((await audit(a.headers)).entries.length, 6, 'default limit 50');
    assert.equal((await audit(a.headers, '?limit=200')).entries.length, 6);
    assert.deepEqual((await audit(a.headers, '?before=1')).entries, []);
  });

  it('401 without a credential (or with a revoked one)', async () => {
    for (const headers of [{}, { authorization: 'Bearer nonsense' }, { cookie: '__Host-tessera_session=nonsense' }]) {
      const res = await call({ method: 'GET', url: '/auth/audit', headers });
      assertError(res, 401, 'unauthorized');
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tessera"/);
    }
    const a = await signUpAndIn(s, 'session');
    await call({ method: 'POST', url: '/auth/logout', headers: a.headers });
    assertError(await call({ method: 'GET', url: '/auth/audit', headers: a.headers }), 401, 'unauthorized');
  });

  it('400 invalid_request for a malformed query, whoever asks', async () => {
    const a = await signUpAndIn(s, 'session');
    const bad = [
      '?limit=0', '?limit=201', '?limit=-1', '?limit=abc', '?limit=1.5', '?limit=', '?limit=01', '?limit=1e2', '?limit=%20 5',
      '?before=0', '?before=-5', '?before=x', '?before=1234567890123456', '?before=',
      '?limit=5&limit=6', '?before=1&before=2', '?page=2', '?__proto__=1', '?limit=5&extra',
    ];
    for (const query of bad) {
      const res = await call({ method: 'GET', url: `/auth/audit${query}`, headers: a.headers });
      assertError(res, 400, 'invalid_request');
      const message = body(res).error.message as string;
      assert.ok(!message.includes('abc') && !message.includes('proto') && !message.includes('extra'), `the message does not echo input: ${message}`);
    }
    assertError(await call({ method: 'GET', url: '/auth/audit?limit=999' }), 400, 'invalid_request');
    assert.match(body(await call({ method: 'GET', url: '/auth/audit?limit=999', headers: a.headers })).error.message, /limit must be an integer from 1 to 200/);
  });

  it('HEAD is allowed, other methods are 405', async () => {
    const a = await signUpAndIn(s, 'session');
    assert.equal((await call({ method: 'HEAD', url: '/auth/audit', headers: a.headers })).statusCode, 200);
    const res = await call({ method: 'POST', url: '/auth/audit', headers: a.headers, payload: {} });
    assertError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.allow, 'GET, HEAD');
  });
});

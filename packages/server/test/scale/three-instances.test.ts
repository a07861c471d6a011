// Three `tessera serve` processes A, B and C on one Redis and one PostgreSQL (a schema and a key
// prefix of this file's own) behave as one server: a session from one works on all, an ending
// on one is enforced on all (through the cluster bus, within 1 s), sign-out everywhere ends
// every credential everywhere, sign-in throttling counts across instances, and a key rotation
// under continuous traffic to all three fails no request. Figures go to `FIGURE:` lines.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SpawnedServer } from '../robustness/spawn-server.js';
import type { Credential, Deployment } from './harness.js';
import { call, figure, me, ms, PASSWORD, pollUntil, register, sharedServicesSkip, signIn, useThreeInstances } from './harness.js';
import { startLoad } from './load.js';
import { mintAccessToken, rotateLikeAnInstance } from './keys.js';

const skip = await sharedServicesSkip();
const MAX_FAILURES = 5;

describe('three instances on one Redis and one PostgreSQL', { skip, timeout: 120_000 }, () => {
  const three = useThreeInstances('three', { env: { TESSERA_LOGIN_MAX_FAILURES: String(MAX_FAILURES) } });
  const { name } = three;
  let d: Deployment;
  let A: SpawnedServer;
  let B: SpawnedServer;
  let C: SpawnedServer;
  before(() => ({ d, A, B, C } = three));

  /** Asserts that `credential` is refused (401) on `server` within `deadlineMs`; returns the ms it took. */
  async function refusedWithin(server: SpawnedServer, credential: Credential, deadlineMs: number, what: string): Promise<number> {
    const took = await pollUntil(async () => (await me(server.baseUrl, credential)).status === 401, deadlineMs);
    assert.notEqual(took, null, `${what}: still accepted on ${name(server)} after ${deadlineMs} ms`);
    return took!;
  }

  it('signs in on A, works on B and C; ended on C → refused on A and B; sign-out everywhere on B ends all', async () => {
    const email = 'ada@three.test';
    await register(A.baseUrl, email);
    const s1 = await signIn(A.baseUrl, email, 'session');
    const j1 = await signIn(A.baseUrl, email, 'jwt');
    const s2 = await signIn(A.baseUrl, email, 'session');
    const j2 = await signIn(A.baseUrl, email, 'jwt');
    for (const server of [A, B, C]) {
      for (const c of [s1, j1, s2, j2]) {
        const r = await me(server.baseUrl, c);
        assert.equal(r.status, 200, `${c.mode} credential from A on ${name(server)}: ${r.body}`);
        assert.equal((JSON.parse(r.body) as { auth: { id: string } }).auth.id, c.sessionId);
      }
    }

    // C ends s1 and j1 (the user manages their sessions with s2's cookie).
    for (const target of [s1, j1]) {
      const r = await call(C.baseUrl, 'DELETE', `/auth/sessions/${target.sessionId}`, { headers: s2.headers });
      assert.equal(r.status, 204, r.body);
    }
    for (const server of [A, B]) {
      // Both through the bus: the token by the revocation view, the cookie too while A and B
      // still hold its record in their one-second session cache.
      const cookieTook = await refusedWithin(server, s1, 1000, 'cookie of a session ended on C');
      const tokenTook = await refusedWithin(server, j1, 1000, 'access token of a session ended on C');
      figure(`three-instances: session ended on C refused on ${name(server)} after ${ms(cookieTook)} ms (cookie), ${ms(tokenTook)} ms (access token)`);
    }
    for (const server of [A, B, C]) {
      assert.equal((await me(server.baseUrl, s2)).status, 200, 'the other session is untouched');
      assert.equal((await me(server.baseUrl, j2)).status, 200, 'the other token is untouched');
    }

    // More credentials, from C and B, then sign-out everywhere on B.
    const s3 = await signIn(C.baseUrl, email, 'session');
    const j3 = await signIn(B.baseUrl, email, 'jwt');
    assert.equal((await me(A.baseUrl, j3)).status, 200);
    const r = await call(B.baseUrl, 'POST', '/auth/logout-all', { headers: j2.headers });
    assert.equal(r.status, 204, r.body);
    let worst = 0;
    for (const server of [A, B, C]) {
      for (const c of [s2, j2, s3, j3]) worst = Math.max(worst, await refusedWithin(server, c, 1000, `${c.mode} credential after sign-out everywhere on B`));
    }
    figure(`three-instances: sign-out everywhere on B: every credential refused on A, B and C within ${ms(worst)} ms`);
    const refresh = await call(C.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: j3.refreshToken } });
    assert.equal(refresh.status, 401, 'the refresh token of an ended family is refused');

    // Signing in again works, and is shared again.
    const j4 = await signIn(C.baseUrl, email, 'jwt');
    for (const server of [A, B, C]) assert.equal((await me(server.baseUrl, j4)).status, 200);
  });

  it(`brute force spread over the three instances is throttled at ${MAX_FAILURES} failures`, async () => {
    const email = 'brute@three.test';
    await register(B.baseUrl, email);
    const attempt = (server: SpawnedServer, password = 'wrong password, attempt ###') =>
      call(server.baseUrl, 'POST', '/auth/login', { json: { email, password, mode: 'jwt' }, timeoutMs: 10_000 });
    const order = [A, B, C, A, B];
    for (const [i, server] of order.entries()) {
      const r = await attempt(server);
      assert.equal(r.status, 401, `failure ${i + 1} on ${name(server)}: ${r.body}`);
    }
    // The 6th attempt is refused whichever instance it hits, the right password included.
    for (const server of [C, A, B]) {
      const r = await attempt(server);
      assert.equal(r.status, 429, `attempt ${MAX_FAILURES + 1} on ${name(server)}: ${r.body}`);
      assert.match(String(r.headers['retry-after']), /^[1-9][0-9]*$/);
    }
    assert.equal((await attempt(A, PASSWORD)).status, 429, 'the right password waits too');
  });

  // The throttle checks the count, hashes (tens of ms), then counts the failure: attempts sent
  // at once all pass the check before any is counted, so a burst is not held to the limit.
  it(`a concurrent burst of wrong passwords over the three is held to ${MAX_FAILURES} checked attempts`, async () => {
    const email = 'burst@three.test';
    await register(C.baseUrl, email);
    const burst = await Promise.all(Array.from({ length: 15 }, (_, i) =>
      call([A, B, C][i % 3]!.baseUrl, 'POST', '/auth/login', { json: { email, password: `wrong burst ${i}` }, timeoutMs: 10_000 })));
    const statuses = burst.map((b) => b.status);
    assert.ok(statuses.every((s) => s === 401 || s === 429), `burst statuses: ${statuses.join(',')}`);
    const checked = statuses.filter((s) => s === 401).length;
    figure(`three-instances: 15 concurrent wrong passwords over A/B/C (limit ${MAX_FAILURES}): ${checked} checked (401), ${15 - checked} throttled (429)`);
    const next = await call(A.baseUrl, 'POST', '/auth/login', { json: { email, password: 'wrong after the burst' } });
    assert.equal(next.status, 429, 'after the burst the account+IP is throttled');
    assert.ok(checked <= MAX_FAILURES, `${checked} of 15 concurrent guesses were checked against the password, limit ${MAX_FAILURES}`);
  });

  it('a key rotation under continuous traffic to all three: zero failed requests; every JWKS and instance knows the new key', async () => {
    const email = 'rotation@three.test';
    await register(A.baseUrl, email);
    const servers = [A, B, C];
    const jwts = await Promise.all(servers.map((s) => signIn(s.baseUrl, email, 'jwt')));
    const cookies = await Promise.all(servers.map((s) => signIn(s.baseUrl, email, 'session')));
    const userId = (JSON.parse((await me(A.baseUrl, jwts[0]!)).body) as { user: { id: string } }).user.id;
    const workers = servers.flatMap((server, i) => {
      const next = servers[(i + 1) % 3]!;
      return [
        // Credentials from one instance, used on the next one.
        { label: `jwt@${name(server)}`, send: () => me(server.baseUrl, jwts[(i + 2) % 3]!) },
        { label: `cookie@${name(server)}`, send: () => me(server.baseUrl, cookies[(i + 2) % 3]!) },
        // A fresh sign-in (tokens signed by whichever key signs now), used at once on the next.
        {
          label: `sign-in@${name(server)}`,
          send: async () => me(next.baseUrl, await signIn(server.baseUrl, email, Math.random() < 0.5 ? 'jwt' : 'session')),
        },
      ];
    });
    const load = startLoad(workers, 2);
    let kid = '';
    const jwksTimes: number[] = [];
    try {
      await sleep(1500);
      const rotated = await rotateLikeAnInstance(d);
      kid = rotated.kid;
      for (const server of servers) {
        const took = await pollUntil(async () => {
          const r = await call(server.baseUrl, 'GET', '/.well-known/jwks.json');
          return (JSON.parse(r.body) as { keys: Array<{ kid: string }> }).keys.some((k) => k.kid === kid);
        }, 1000, 5);
        assert.notEqual(took, null, `${name(server)} does not publish the new key ${kid} within 1 s`);
        jwksTimes.push(took!);
      }
      await sleep(3500);
    } finally {
      await load.stop();
    }
    const failed = load.samples.filter((s) => s.status !== 200);
    figure(`three-instances: key rotation under traffic: ${load.samples.length} requests over ~5 s (${load.samples.filter((s) => s.label.startsWith('sign-in')).length} fresh sign-ins), ${failed.length} failed; new kid in the JWKS of A/B/C after ${jwksTimes.map(ms).join('/')} ms`);
    assert.deepEqual(failed.slice(0, 5), [], `failed requests during the rotation: ${failed.length}`);
    assert.ok(load.samples.length > 100, `too little traffic to mean anything: ${load.samples.length}`);

    // A token signed by the new key (it signs only after its publish lead) is accepted everywhere at once.
    const token = await mintAccessToken(d, { kid, sub: userId, sid: jwts[0]!.sessionId });
    const answers = await Promise.all(servers.map((s) => me(s.baseUrl, { mode: 'jwt', sessionId: jwts[0]!.sessionId, headers: { authorization: `Bearer ${token}` } })));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200], answers.map((a) => a.body).join('\n'));
  });
});

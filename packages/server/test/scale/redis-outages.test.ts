// Redis outages under load, on a redis-server of this file's own (the shared one on 6379 is
// never touched): killed (SIGKILL) then restarted empty on the same port, paused (SIGSTOP /
// SIGCONT), flushed (FLUSHALL). Two instances A and B share it and a PostgreSQL schema.
//
// What is asserted (issue 3, "outage behaviour"): requests that need Redis get 503 with
// Retry-After within the spec's 500 ms (the measured maximum is reported); no 200 for a
// session cookie sent after the outage began (they are checked against Redis every time);
// access tokens keep working (they need no Redis: keys, users and the revocation feed are in
// PostgreSQL; by design); /readyz 503; recovery within 5 s of Redis's return without restarting
// Tessera; a revocation made before, or retried after, an outage is never undone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisBinariesProbe } from '../../../tessera/test/stores/redis-cluster-helper.js';
import { requireService } from '../../../tessera/test/stores/service-availability.js';
import { cleanUpServers } from '../robustness/spawn-server.js';
import type { SpawnedServer } from '../robustness/spawn-server.js';
import type { Credential, Deployment, Reply } from './harness.js';
import { call, createDeployment, figure, me, ms, PASSWORD, pollUntil, register, sharedServicesSkip, signIn } from './harness.js';
import type { Load } from './load.js';
import { STORE_TIMEOUT_MS } from '../../src/stores.js';
import { assertNoHangOrCrash, assertOutage, BOUND_MS, outageLoad, recovery, within } from './outage-checks.js';
import type { OwnRedis } from './own-services.js';
import { startOwnRedis } from './own-services.js';

const skip = (await sharedServicesSkip()) ?? (await requireService('redis-server', redisBinariesProbe));
const EMAIL = 'outage@redis.test';

describe('Redis outages under load', { skip, timeout: 120_000 }, () => {
  let redis: OwnRedis;
  let d: Deployment;
  let A: SpawnedServer;
  let B: SpawnedServer;

  before(async () => {
    redis = await startOwnRedis();
    d = await createDeployment('redisout', { redisUrl: redis.url });
    A = await d.start();
    B = await d.start();
    await register(A.baseUrl, EMAIL);
  });

  after(async () => {
    try {
      await d?.cleanUp();
    } finally {
      await redis?.stop();
      await cleanUpServers();
    }
  });

  const logout = (s: SpawnedServer, c: Credential): Promise<Reply> => call(s.baseUrl, 'POST', '/auth/logout', { headers: c.headers });
  const load = (cookie: Credential, token: Credential, extra: Array<{ label: string; send: () => Promise<Reply> }> = []): Load =>
    outageLoad([A, B], EMAIL, cookie, token, extra);
  // Redis holds session records and throttles: cookies, sign-ins and /readyz need it; access
  // tokens do not (keys, users, feed are in PostgreSQL).
  const REDIS_OUTAGE = { refused: ['cookie', 'sign-in', 'readyz'], cached: [], served: ['jwt'] };

  it('killed: 503 within the bound, tokens still served, /readyz 503; restarted empty on the same port: recovery ≤ 5 s, revocations hold', async () => {
    const cookie = await signIn(A.baseUrl, EMAIL, 'session');
    const token = await signIn(A.baseUrl, EMAIL, 'jwt');
    // Signed out before the outage: must stay signed out after it.
    const revokedCookie = await signIn(B.baseUrl, EMAIL, 'session');
    const revokedToken = await signIn(B.baseUrl, EMAIL, 'jwt');
    for (const c of [revokedCookie, revokedToken]) assert.equal((await logout(B, c)).status, 204);

    const l = load(cookie, token);
    await sleep(700);
    const killedAt = performance.now();
    await redis.kill();
    await sleep(2000);
    const restartAt = performance.now();
    await redis.restart();
    const back = performance.now();
    const recovered = await recovery([A, B], EMAIL, back, 'after the restart');
    await sleep(300);
    await l.stop();

    assertNoHangOrCrash(l.samples, [A, B]);
    const { slowest, cachedFor } = assertOutage(l.samples, killedAt, restartAt, 'Redis killed', REDIS_OUTAGE);
    // Redis came back empty: the cookie's record is gone (expected for a non-persistent Redis).
    const after = l.samples.filter((s) => s.label === 'cookie' && s.at > back);
    assert.ok(after.every((s) => s.status === 401 || s.status === 503), 'a cookie whose record is gone is never accepted');
    for (const s of [A, B]) {
      assert.equal((await me(s.baseUrl, revokedToken)).status, 401, 'a token revoked before the outage stays revoked');
      assert.equal((await me(s.baseUrl, revokedCookie)).status, 401);
      assert.equal((await me(s.baseUrl, token)).status, 200, 'a live token survives the outage');
    }
    const fresh = await signIn(A.baseUrl, EMAIL, 'session');
    assert.equal((await me(B.baseUrl, fresh)).status, 200, 'new sessions are shared again');
    assert.equal(cachedFor, 0);
    figure(`redis-killed: ${l.samples.length} requests; slowest 503 ${ms(slowest)} ms (command timeout ${STORE_TIMEOUT_MS} ms); no cookie accepted once the outage began; recovery (readyz 200 + sign-in) ${ms(recovered)} ms after Redis answered again; 0 failed/hung/5xx-other-than-503`);
  });

  // Shared by the pause test and the "not undone" test that follows it.
  const paused: { cookie?: Credential; token?: Credential; retries?: number[] } = {};

  it('paused (SIGSTOP): 503 within the bound, /readyz 503; resumed (SIGCONT): recovery ≤ 5 s', async () => {
    const cookie = await signIn(A.baseUrl, EMAIL, 'session');
    const token = await signIn(A.baseUrl, EMAIL, 'jwt');
    paused.cookie = await signIn(A.baseUrl, EMAIL, 'session');
    paused.token = await signIn(B.baseUrl, EMAIL, 'jwt');
    // A production Redis has run every script before: a sign-out now loads the sign-out script.
    assert.equal((await logout(A, await signIn(A.baseUrl, EMAIL, 'jwt'))).status, 204);

    const l = load(cookie, token);
    await sleep(700);
    const pausedAt = performance.now();
    redis.pause();
    await sleep(150);
    // Sign-outs while Redis is paused: 503 (they did not happen, as far as the client knows).
    const newcomer = `newcomer-${Date.now()}@redis.test`;
    const signUp = (): Promise<Reply> => call(A.baseUrl, 'POST', '/auth/register', { json: { email: newcomer, password: PASSWORD }, timeoutMs: 10_000 });
    const [during, signUpDuring] = await Promise.all([Promise.all([logout(A, paused.cookie), logout(B, paused.token)]), signUp()]);
    // A sign-up needs Redis too (it clears failures counted at the address before it existed):
    // a 503 that created nothing, so that the retry below is not told the address is taken.
    assert.equal(signUpDuring.status, 503, `a sign-up while Redis is paused: ${signUpDuring.status} ${signUpDuring.body}`);
    for (const r of during) {
      assert.equal(r.status, 503, `a sign-out while Redis is paused: ${r.status} ${r.body}`);
      assert.match(String(r.headers['retry-after']), /^[1-9][0-9]*$/);
      assert.ok(r.ms <= BOUND_MS, `a sign-out while Redis is paused took ${ms(r.ms)} ms`);
    }
    await sleep(Math.max(0, pausedAt + 2500 - performance.now()));
    const resumedAt = performance.now();
    redis.resume();
    const recovered = await recovery([A, B], EMAIL, resumedAt, 'after SIGCONT');
    // The client retries its sign-outs: 204 (or 401 when the first attempt went through after all).
    paused.retries = [(await logout(A, paused.cookie)).status, (await logout(B, paused.token)).status];
    const signUpAfter = await signUp();
    assert.equal(signUpAfter.status, 201, `the sign-up retried after the pause: ${signUpAfter.status} ${signUpAfter.body}`);
    await sleep(300);
    await l.stop();

    assertNoHangOrCrash(l.samples, [A, B]);
    const { slowest, cachedFor } = assertOutage(l.samples, pausedAt, resumedAt, 'Redis paused', REDIS_OUTAGE);
    for (const s of [A, B]) {
      assert.equal((await me(s.baseUrl, cookie)).status, 200, 'sessions survive a pause');
      assert.equal((await me(s.baseUrl, token)).status, 200);
    }
    for (const status of paused.retries) assert.ok(status === 204 || status === 401, `retried sign-out: ${status}`);
    assert.equal(cachedFor, 0);
    figure(`redis-paused: ${l.samples.length} requests; slowest 503 ${ms(slowest)} ms (command timeout ${STORE_TIMEOUT_MS} ms); no cookie accepted once the pause began; sign-outs during the pause 503 in ${during.map((r) => ms(r.ms)).join('/')} ms; recovery ${ms(recovered)} ms after SIGCONT; retried sign-outs ${paused.retries.join('/')}`);
  });

  it('a sign-out issued while Redis was paused, retried after, is not undone', async (t) => {
    if (!paused.cookie || !paused.token) return t.skip('the pause test did not run');
    const signedOut: Credential[] = [paused.cookie, paused.token];
    for (const s of [A, B]) {
      for (const c of signedOut) {
        const took = await pollUntil(async () => (await me(s.baseUrl, c)).status === 401, 1000);
        assert.notEqual(took, null, `${c.mode} credential signed out during the pause (retried: ${paused.retries?.join('/')}) still accepted on ${s === A ? 'A' : 'B'}`);
      }
    }
    await sleep(1500); // past a revocation catch-up
    for (const s of [A, B]) for (const c of signedOut) assert.equal((await me(s.baseUrl, c)).status, 401);
  });

  it('flushed (FLUSHALL): cookies are refused (records gone), revoked tokens stay revoked, no 5xx', async () => {
    const cookie = await signIn(A.baseUrl, EMAIL, 'session');
    const token = await signIn(B.baseUrl, EMAIL, 'jwt');
    const revoked = await signIn(A.baseUrl, EMAIL, 'jwt');
    assert.equal((await logout(B, revoked)).status, 204);
    // Revoked everywhere before the flush (A hears of it through the bus, in milliseconds).
    for (const s of [A, B]) assert.notEqual(await pollUntil(async () => (await me(s.baseUrl, revoked)).status === 401, 2000), null);
    const l = load(cookie, token, [A, B].map((s) => ({ label: 'revoked-jwt', send: () => me(s.baseUrl, revoked) })));
    await sleep(700);
    const flushAt = performance.now();
    await redis.flushAll();
    const flushed = performance.now();
    await sleep(1500);
    await l.stop();

    const statuses = new Set(l.samples.map((s) => s.status));
    assert.ok([...statuses].every((s) => s === 200 || s === 401 || s === 503), `statuses seen: ${[...statuses].join(',')}`);
    const of = (label: string, from: number, to = Infinity) => within(l.samples, from, to, label);
    assert.ok(of('cookie', 0, flushAt).every((s) => s.status === 200), 'cookies work before the flush');
    const cookieAfter = of('cookie', flushed);
    assert.ok(cookieAfter.length > 0 && cookieAfter.every((s) => s.status === 401), 'a cookie whose record was flushed is refused at once');
    assert.ok(of('jwt', 0).every((s) => s.status === 200), 'live access tokens keep working');
    const revokedStatuses = new Set(of('revoked-jwt', 0).map((s) => s.status));
    assert.deepEqual([...revokedStatuses], [401], 'a revoked token stays revoked: the feed is in PostgreSQL');
    assert.ok(of('sign-in', flushed).every((s) => s.status === 200), 'sign-in works after the flush');
    const firstRefusal = Math.min(...l.samples.filter((s) => s.label === 'cookie' && s.status === 401).map((s) => s.at + s.ms));
    figure(`redis-flushed: ${l.samples.length} requests, ${l.samples.filter((s) => s.status === 503).length} × 503, 0 other 5xx; cookies refused ${ms(firstRefusal - flushAt)} ms after FLUSHALL was sent; revoked token refused throughout`);
  });
});

// Revocation propagation across three `tessera serve` instances on one Redis and one PostgreSQL.
//
// 1. Over ≥ 200 revocations (the ending instance rotates over A, B, C), the time from the
//    204 of `DELETE /auth/sessions/:id` on one instance until `/auth/me` with that session's
//    access token answers 401 on each of the two others (polled back to back on keep-alive
//    connections, so a figure includes up to one request's round trip). p50/p99 are printed
//    and written to a JSON file; the assertion (p99 ≤ 250 ms) is loose on purpose for a noisy
//    2-core CI box: the goal is 50 ms, and the measured figure is what gets reported.
// 2. The pub/sub message dropped: a fourth instance D on another bus channel (its own Redis key
//    prefix; it shares the database, hence the keys and the durable feed) never hears the
//    others; its periodic catch-up (every 1 s) must still refuse the token within 2.5 s.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanUpServers } from '../robustness/spawn-server.js';
import type { SpawnedServer } from '../robustness/spawn-server.js';
import type { Credential, Deployment } from './harness.js';
import { call, createDeployment, figure, IN_CI, me, ms, register, sharedServicesSkip, signIn } from './harness.js';
import { quantile } from './load.js';

const skip = await sharedServicesSkip();
const REVOCATIONS = 200;
const P99_BOUND_MS = 250;
const CATCH_UP_BOUND_MS = 2500;
const DROPPED_SAMPLES = 8;
const results: Record<string, unknown> = { date: new Date().toISOString(), ci: IN_CI };
const resultsPath = join(tmpdir(), `tessera-propagation-${process.pid}.json`);

describe('revocation propagation across three instances', { skip, timeout: 150_000 }, () => {
  let d: Deployment;
  let servers: SpawnedServer[];
  const names = ['A', 'B', 'C', 'D'];

  before(async () => {
    d = await createDeployment('prop');
    const first = await d.start();
    servers = [first, ...(await Promise.all([d.start(), d.start()]))];
  });

  after(async () => {
    try {
      await d?.cleanUp();
    } finally {
      await cleanUpServers();
    }
  });

  /** Signs in `count` JWT sessions for 8 users, spread over the instances, 6 at a time. */
  async function sessions(count: number, tag: string): Promise<Credential[]> {
    const emails = Array.from({ length: 8 }, (_, i) => `${tag}${i}@prop.test`);
    for (const email of emails) await register(servers[0]!.baseUrl, email);
    const out: Credential[] = new Array(count);
    let next = 0;
    await Promise.all(Array.from({ length: 6 }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await signIn(servers[i % 3]!.baseUrl, emails[i % emails.length]!, 'jwt');
      }
    }));
    return out;
  }

  /** Ends `credential`'s session on `ender` (with itself); resolves with when the 204 arrived. */
  async function end(ender: SpawnedServer, credential: Credential): Promise<number> {
    const r = await call(ender.baseUrl, 'DELETE', `/auth/sessions/${credential.sessionId}`, { headers: credential.headers });
    assert.equal(r.status, 204, r.body);
    return performance.now();
  }

  /** Polls `/auth/me` on `server` back to back until 401; ms from `since` to that answer, or null past the deadline. */
  async function refusedAfter(server: SpawnedServer, credential: Credential, since: number, deadlineMs: number): Promise<number | null> {
    for (;;) {
      const r = await me(server.baseUrl, credential);
      const now = performance.now();
      if (r.status === 401) return now - since;
      assert.equal(r.status, 200, r.body);
      if (now - since > deadlineMs) return null;
    }
  }

  it(`reaches the two other instances fast, over ${REVOCATIONS} revocations`, async () => {
    const signInStarted = performance.now();
    const credentials = await sessions(REVOCATIONS, 'p');
    const signInMs = performance.now() - signInStarted;
    const loopStarted = performance.now();
    const latencies: number[] = [];
    const missed: string[] = [];
    for (const [i, credential] of credentials.entries()) {
      const ender = servers[i % 3]!;
      const observers = servers.filter((s) => s !== ender);
      // Accepted everywhere first (and in each observer's verified-token cache, as in real traffic).
      for (const o of observers) assert.equal((await me(o.baseUrl, credential)).status, 200);
      const endedAt = await end(ender, credential);
      const took = await Promise.all(observers.map((o) => refusedAfter(o, credential, endedAt, 2000)));
      took.forEach((t, j) => {
        if (t === null) missed.push(`#${i} ended on ${names[servers.indexOf(ender)]}, still accepted on ${names[servers.indexOf(observers[j]!)]} after 2 s`);
        else latencies.push(t);
      });
    }
    figure(`propagation: ${REVOCATIONS} JWT sign-ins over 3 instances in ${ms(signInMs)} ms; ${REVOCATIONS} revocations measured in ${ms(performance.now() - loopStarted)} ms`);
    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    const max = Math.max(...latencies);
    results.bus = { revocations: REVOCATIONS, n: latencies.length, p50Ms: p50, p99Ms: p99, maxMs: max, missed: missed.length, goalP99Ms: 50, assertedP99Ms: P99_BOUND_MS };
    writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`propagation p50=${ms(p50)} ms p99=${ms(p99)} ms n=${latencies.length}`);
    figure(`propagation (bus): p50=${ms(p50)} ms p99=${ms(p99)} ms max=${ms(max)} ms n=${latencies.length} (${REVOCATIONS} revocations × 2 observers); results in ${resultsPath}`);
    assert.deepEqual(missed, []);
    assert.ok(latencies.length >= 2 * REVOCATIONS);
    assert.ok(p99 <= P99_BOUND_MS, `p99 ${ms(p99)} ms > ${P99_BOUND_MS} ms`);
  });

  it(`with the pub/sub message dropped, the catch-up still refuses within ${CATCH_UP_BOUND_MS} ms`, async () => {
    // D shares the database (users, keys, the durable feed) but listens on another channel.
    const D = await d.start({ TESSERA_REDIS_PREFIX: `${d.prefix}isolated:` });
    servers.push(D);
    try {
      const credentials = await sessions(DROPPED_SAMPLES, 'drop');
      const onD: number[] = [];
      const onBus: number[] = [];
      for (const [i, credential] of credentials.entries()) {
        const ender = servers[i % 3]!;
        const observer = servers[(i + 1) % 3]!;
        assert.equal((await me(D.baseUrl, credential)).status, 200, 'D verifies tokens of the deployment');
        assert.equal((await me(observer.baseUrl, credential)).status, 200);
        // Spread the endings over the catch-up period, so the samples are not all in one phase.
        await sleep(Math.floor(Math.random() * 500));
        const endedAt = await end(ender, credential);
        const [tD, tBus] = await Promise.all([
          refusedAfter(D, credential, endedAt, CATCH_UP_BOUND_MS + 500),
          refusedAfter(observer, credential, endedAt, 2000),
        ]);
        assert.notEqual(tD, null, `#${i}: D still accepts the token ${CATCH_UP_BOUND_MS + 500} ms after its session ended`);
        onD.push(tD!);
        if (tBus !== null) onBus.push(tBus);
      }
      const maxD = Math.max(...onD);
      results.dropped = { n: onD.length, p50Ms: quantile(onD, 0.5), maxMs: maxD, boundMs: CATCH_UP_BOUND_MS, catchUpIntervalMs: 1000, busObserverMaxMs: Math.max(...onBus) };
      writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
      figure(`propagation (message dropped, catch-up every 1 s): p50=${ms(quantile(onD, 0.5))} ms max=${ms(maxD)} ms n=${onD.length}; same revocations on a bus-connected instance: max=${ms(Math.max(...onBus))} ms; results in ${resultsPath}`);
      assert.ok(maxD <= CATCH_UP_BOUND_MS, `D refused a revoked token only after ${ms(maxD)} ms`);
      // Sanity: D really missed the messages (else it would see them in a few ms like the others).
      assert.ok(maxD > 20, `D refused every token within ${ms(maxD)} ms: is it really off the bus?`);
    } finally {
      await D.stop();
    }
  });
});

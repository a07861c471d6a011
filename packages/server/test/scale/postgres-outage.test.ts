// PostgreSQL stopped under load, on a PostgreSQL cluster of this file's own (initdb in a temp
// dir, a free loopback port; the shared server on 5432 is never touched). Two instances A and B
// run with TESSERA_DATABASE_URL only (no Redis): sessions, users, keys and the revocation feed
// are in PostgreSQL, and the cluster bus is LISTEN/NOTIFY.
//
// Asserted: while the database is down (`pg_ctl stop -m immediate`), every request that needs
// it gets 503 with Retry-After within the spec's 500 ms (no cookie is accepted once the outage
// began; `/auth/me` with a verified token may show its one-second-old user copy for that
// second, never after), /readyz 503, no hang, no crash; after `pg_ctl start` on the same port, both
// instances are ready and sign-ins work within 5 s, without restarting Tessera; data survives
// (it is a database) and a revocation made before the outage still holds. Then the same with
// the database hung (every PostgreSQL process SIGSTOPped, then SIGCONTinued): the pool's
// query timeout (STORE_TIMEOUT_MS) turns the hang into 503s, and a sign-out sent into the hang (503) and
// retried after it holds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanUpServers } from '../robustness/spawn-server.js';
import type { SpawnedServer } from '../robustness/spawn-server.js';
import type { Deployment } from './harness.js';
import { call, createDeployment, figure, me, ms, pollUntil, register, signIn } from './harness.js';
import { STORE_TIMEOUT_MS } from '../../src/stores.js';
import { assertNoHangOrCrash, assertOutage, BOUND_MS, CACHE_MS, outageLoad, recovery } from './outage-checks.js';
import type { OwnPostgres } from './own-services.js';
import { postgresBinDir, startOwnPostgres } from './own-services.js';

const EMAIL = 'outage@postgres.test';
// Everything needs the database here; `/auth/me` with a token needs its user (a 1-s display copy).
const PG_OUTAGE = { refused: ['cookie', 'jwt', 'sign-in', 'readyz'], cached: ['jwt'], served: [] };
const skip = postgresBinDir() === undefined && process.env.CI !== 'true' ? 'no PostgreSQL binaries (initdb, pg_ctl) under /usr/lib/postgresql' : undefined;

describe('PostgreSQL stopped under load', { skip, timeout: 90_000 }, () => {
  let database: OwnPostgres;
  let d: Deployment;
  let A: SpawnedServer;
  let B: SpawnedServer;

  before(async () => {
    database = await startOwnPostgres();
    d = await createDeployment('pgout', { databaseUrl: database.url, redisUrl: null });
    A = await d.start();
    B = await d.start();
    await register(A.baseUrl, EMAIL);
  });

  after(async () => {
    try {
      // The whole cluster goes: dropping the schema first is only good manners.
      await d?.cleanUp().catch(() => {});
    } finally {
      await database?.stop();
      await cleanUpServers();
    }
  });

  it('every request that needs the database gets 503 fast, /readyz 503, no crash; restarted: recovery ≤ 5 s, revocations hold', async () => {
    const cookie = await signIn(A.baseUrl, EMAIL, 'session');
    const token = await signIn(B.baseUrl, EMAIL, 'jwt');
    const revoked = await signIn(A.baseUrl, EMAIL, 'jwt');
    assert.equal((await call(B.baseUrl, 'POST', '/auth/logout', { headers: revoked.headers })).status, 204);
    const l = outageLoad([A, B], EMAIL, cookie, token, [A, B].map((s) => ({ label: 'revoked-jwt', send: () => me(s.baseUrl, revoked) })));
    await sleep(700);
    const stopping = performance.now();
    await database.stopServer();
    const stopped = performance.now();
    await sleep(2500);
    const starting = performance.now();
    await database.startServer();
    const back = performance.now();
    const recovered = await recovery([A, B], EMAIL, back, 'after the restart');
    await sleep(300);
    await l.stop();

    assertNoHangOrCrash(l.samples, [A, B]);
    const { slowest, cachedFor } = assertOutage(l.samples, stopped, starting, 'PostgreSQL stopped', PG_OUTAGE);
    assert.ok(l.samples.filter((s) => s.label === 'revoked-jwt').every((s) => s.status === 401 || s.status === 503), 'a revoked token is never accepted');
    for (const s of [A, B]) {
      assert.equal((await me(s.baseUrl, cookie)).status, 200, 'sessions survive (they are in the database)');
      assert.equal((await me(s.baseUrl, token)).status, 200);
      assert.equal((await me(s.baseUrl, revoked)).status, 401, 'a token revoked before the outage stays revoked');
    }
    // The bus (LISTEN) is back too: a sign-out on A reaches B.
    const late = await signIn(A.baseUrl, EMAIL, 'jwt');
    assert.equal((await me(B.baseUrl, late)).status, 200);
    assert.equal((await call(A.baseUrl, 'POST', '/auth/logout', { headers: late.headers })).status, 204);
    const t0 = performance.now();
    let refusedAfter = Number.NaN;
    while (performance.now() - t0 < 2500) {
      if ((await me(B.baseUrl, late)).status === 401) {
        refusedAfter = performance.now() - t0;
        break;
      }
    }
    assert.ok(refusedAfter <= 2500, 'a sign-out after the outage reaches the other instance');
    figure(`postgres-stopped: ${l.samples.length} requests; pg_ctl stop -m immediate took ${ms(stopped - stopping)} ms; slowest 503 ${ms(slowest)} ms; no cookie accepted once the outage began; token /auth/me from the user copy until ${ms(cachedFor)} ms into the outage (copy ≤ ${CACHE_MS - 100} ms old); 0 failed/hung/other 5xx; pg_ctl start took ${ms(back - starting)} ms; recovery (readyz 200 + sign-in on A and B) ${ms(recovered)} ms after PostgreSQL answered; sign-out after the outage reached B in ${ms(refusedAfter)} ms`);
  });

  it('hung (SIGSTOP): 503 within the bound, /readyz 503; resumed: recovery ≤ 5 s; a sign-out sent into the hang and retried holds', async () => {
    const cookie = await signIn(A.baseUrl, EMAIL, 'session');
    const token = await signIn(B.baseUrl, EMAIL, 'jwt');
    const leaving = [await signIn(A.baseUrl, EMAIL, 'session'), await signIn(B.baseUrl, EMAIL, 'jwt')];
    const l = outageLoad([A, B], EMAIL, cookie, token);
    await sleep(700);
    const pausedAt = performance.now();
    database.pause();
    let resumedAt = Number.NaN;
    try {
      await sleep(CACHE_MS + 100); // past the user copy, so that the sign-outs must reach the database
      const during = await Promise.all(leaving.map((c, i) => call([A, B][i]!.baseUrl, 'POST', '/auth/logout', { headers: c.headers })));
      for (const r of during) {
        assert.equal(r.status, 503, `a sign-out while PostgreSQL hangs: ${r.status} ${r.body}`);
        assert.ok(r.ms <= BOUND_MS, `a sign-out while PostgreSQL hangs took ${ms(r.ms)} ms`);
      }
      await sleep(Math.max(0, pausedAt + 2500 - performance.now()));
    } finally {
      resumedAt = performance.now();
      database.resume();
    }
    const recovered = await recovery([A, B], EMAIL, resumedAt, 'after SIGCONT');
    const retries = await Promise.all(leaving.map((c, i) => call([A, B][i]!.baseUrl, 'POST', '/auth/logout', { headers: c.headers })));
    await sleep(300);
    await l.stop();

    assertNoHangOrCrash(l.samples, [A, B]);
    const { slowest, cachedFor } = assertOutage(l.samples, pausedAt, resumedAt, 'PostgreSQL hung', PG_OUTAGE);
    for (const r of retries) assert.ok(r.status === 204 || r.status === 401, `retried sign-out: ${r.status} ${r.body}`);
    for (const s of [A, B]) {
      for (const c of leaving) {
        const took = await pollUntil(async () => (await me(s.baseUrl, c)).status === 401, 1500);
        assert.notEqual(took, null, `${c.mode} credential signed out during the hang (retried: ${retries.map((r) => r.status).join('/')}) still accepted`);
      }
      assert.equal((await me(s.baseUrl, cookie)).status, 200);
      assert.equal((await me(s.baseUrl, token)).status, 200);
    }
    figure(`postgres-hung: ${l.samples.length} requests; slowest 503 ${ms(slowest)} ms (query timeout ${STORE_TIMEOUT_MS} ms); no cookie accepted once the hang began; token /auth/me from the user copy until ${ms(cachedFor)} ms into the hang; recovery ${ms(recovered)} ms after SIGCONT; retried sign-outs ${retries.map((r) => r.status).join('/')}`);
  });
});

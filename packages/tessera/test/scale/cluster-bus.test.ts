import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTessera, ManualClock, systemClock } from '../../src/index.js';
import type { Tessera } from '../../src/index.js';
import { createArgon2Hasher } from '../../src/password/password-hasher.js';
import { parseClusterMessage } from '../../src/revocation/cluster-bus.js';
import type { ClusterBus } from '../../src/revocation/cluster-bus.js';
import { createPostgresClusterBus } from '../../src/stores/postgres-bus.js';
import { createPostgresStore } from '../../src/stores/postgres.js';
import { createRedisClusterBus } from '../../src/stores/redis-bus.js';
import { requireService } from '../stores/service-availability.js';

const PG_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PASSWORD = 'correct horse battery staple';
const hasher = createArgon2Hasher({ memoryKiB: 1024, timeCost: 1 });

describe('parseClusterMessage', () => {
  it('accepts the two message types and drops anything malformed', () => {
    assert.deepEqual(parseClusterMessage('{"type":"keys_changed"}'), { type: 'keys_changed' });
    const entry = { seq: 3, kind: 'session', subject: 's', at: 1, expiresAt: 2 };
    assert.deepEqual(parseClusterMessage(JSON.stringify({ type: 'revocations', entries: [entry] })), { type: 'revocations', entries: [entry] });
    for (const bad of ['', 'null', '[]', '{"type":"x"}', '{"type":"revocations"}', '{"type":"revocations","entries":[{"kind":"nope","subject":"s","at":1,"expiresAt":2}]}', '{"type":"revocations","entries":[{"kind":"session","subject":5,"at":1,"expiresAt":2}]}']) {
      assert.equal(parseClusterMessage(bad), undefined, bad);
    }
  });
});

/**
 * Two instances on one PostgreSQL schema: a revocation on A must reach B through the bus,
 * without B's periodic catch-up (set to an hour here) and without a store read per request.
 */
async function pairOn(makeBus: () => ClusterBus, pool: pg.Pool, schema: string): Promise<[Tessera, Tessera]> {
  const store = createPostgresStore(pool, { schema });
  await store.migrate();
  const make = () => createTessera({
    store, issuer: 'https://auth.test', passwordHasher: hasher, clock: systemClock,
    revocationCatchUpIntervalMs: 3_600_000, keyReloadIntervalMs: 3_600_000, clusterBus: makeBus(),
  });
  return [await make(), await make()];
}

async function until(check: () => Promise<boolean>, ms: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (await check()) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`not within ${ms} ms`);
}

for (const kind of ['PostgreSQL LISTEN/NOTIFY', 'Redis pub/sub'] as const) {
  describe(`cluster bus: ${kind}`, async () => {
    const skip = await requireService('PostgreSQL', async () => {
      const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
      await c.connect();
      await c.end();
    }, { at: PG_URL }) ?? (kind === 'Redis pub/sub' ? await requireService('Redis', async () => {
      const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
      try { await r.connect(); await r.ping(); } finally { r.disconnect(); }
    }, { at: REDIS_URL }) : undefined);
    const schema = `tessera_test_${randomBytes(6).toString('hex')}`;
    const channel = `tessera_test_${randomBytes(6).toString('hex')}`;
    let pool: pg.Pool;
    let redis: Redis | undefined;
    let a: Tessera;
    let b: Tessera;
    before(async () => {
      if (skip) return;
      pool = new pg.Pool({ connectionString: PG_URL, max: 6 });
      if (kind === 'Redis pub/sub') redis = new Redis(REDIS_URL);
      const makeBus = () => (redis ? createRedisClusterBus(redis, { channel }) : createPostgresClusterBus(pool, { channel }));
      [a, b] = await pairOn(makeBus, pool, schema);
    });
    after(async () => {
      if (skip) return;
      await a.close();
      await b.close();
      redis?.disconnect();
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    });

    it('a sign-out on A is enforced by B within milliseconds', { skip }, async () => {
      await a.register({ email: 'bus@example.com', password: PASSWORD });
      const r = await a.signIn({ email: 'bus@example.com', password: PASSWORD, mode: 'jwt' }, { ip: '1' });
      assert.equal(r.mode, 'jwt');
      if (r.mode !== 'jwt') return;
      const headers = { authorization: `Bearer ${r.accessToken}` };
      assert.equal((await b.authenticate(headers)).status, 'authenticated');
      await a.endSession(r.user.id, r.sessionId, 'logout');
      const ms = await until(async () => (await b.authenticate(headers)).status === 'anonymous', 2000);
      assert.ok(ms < 2000, `${ms} ms`);
    });

    it('a key rotation on A reaches B\'s key ring at once', { skip }, async () => {
      const { kid } = await a.rotateKeys();
      await until(async () => b.jwks().keys.some((k) => (k as { kid: string }).kid === kid), 2000);
    });
  });
}

describe('rotation lease', () => {
  it('while another instance holds the rotation lease, a rotation is refused and changes nothing', async () => {
    const { createMemoryStore } = await import('../../src/stores/memory.js');
    const store = createMemoryStore();
    await store.migrate();
    const clock = new ManualClock();
    const auth = await createTessera({ store, issuer: 'https://auth.test', passwordHasher: hasher, clock });
    assert.equal(await store.tryAcquireLease('key-rotation', 'another-instance', clock.nowMs(), clock.nowMs() + 60_000), true);
    await assert.rejects(auth.rotateKeys(), (e: { code?: string; retryAfterSeconds?: number }) => e.code === 'unavailable' && e.retryAfterSeconds === 60);
    assert.equal((await store.listSigningKeys()).length, 1, 'no key was added');
    await store.releaseLease('key-rotation', 'another-instance');
    await auth.rotateKeys();
    assert.equal((await store.listSigningKeys()).length, 2);
    assert.equal(await store.tryAcquireLease('key-rotation', 'another-instance', clock.nowMs(), clock.nowMs() + 60_000), true, 'the rotator released the lease');
    await auth.close();
  });
});

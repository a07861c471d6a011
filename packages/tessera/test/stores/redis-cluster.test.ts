import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { Cluster } from 'ioredis';
import { systemRandom } from '../../src/clock.js';
import type { Clock } from '../../src/clock.js';
import { generateId } from '../../src/crypto/tokens.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { createRedisClient, createRedisCluster, createRedisStore, userTag } from '../../src/stores/redis.js';
import { runStoreConformance } from './conformance.js';
import { endRequest, makeSession, seedUser, T0 } from './conformance-fixtures.js';
import { deleteKeysWithPrefix, keysWithPrefix, redisBinariesProbe, startRedisCluster, startStandaloneRedis } from './redis-cluster-helper.js';
import type { RedisClusterHandle } from './redis-cluster-helper.js';
import { requireService } from './service-availability.js';

// A 3-master Redis Cluster started by this file (its own processes on free loopback ports, no
// persistence), stopped by PID when the file ends.

const skip = await requireService('redis-server and redis-cli', redisBinariesProbe);

const atT0: Clock = { nowMs: () => T0 };

describe('Redis store on a 3-master Redis Cluster', { skip }, () => {
  let cluster: RedisClusterHandle | undefined;
  let client: Cluster | undefined;

  before(async () => {
    cluster = await startRedisCluster(3);
    client = createRedisCluster([...cluster.nodes]);
    await once(client, 'ready');
  });

  after(async () => {
    await client?.quit().catch(() => client?.disconnect());
    await cluster?.stop();
  });

  const freshPrefix = (): string => `tessera-test:${randomBytes(6).toString('hex')}:`;

  runStoreConformance('Redis Cluster (+ memory database)', async () => {
    const prefix = freshPrefix();
    const database = createMemoryStore();
    const store = createRedisStore({ client: client!, database, keyPrefix: prefix, clock: atT0 });
    return {
      store,
      async cleanup() {
        await store.close();
        await database.close();
        await deleteKeysWithPrefix(client!, prefix);
      },
    };
  });

  it("a user's records, index and outbox share one slot; a foreign id's pointer sits in the id's slot", async () => {
    const prefix = freshPrefix();
    const store = createRedisStore({ client: client!, database: createMemoryStore(), keyPrefix: prefix, clock: atT0 });
    try {
      await seedUser(store, 1);
      const minted = await Promise.all([1, 2, 3].map(() => store.sessionIdFor('user-1', generateId(systemRandom))));
      for (const id of minted) await store.createSession(makeSession(id, 'user-1'));
      await store.createSession(makeSession('foreign-id', 'user-1'));
      const keys = await keysWithPrefix(client!, prefix);
      const tag = userTag('user-1');
      const userKeys = keys.filter((k) => k.startsWith(`${prefix}{${tag}}:`));
      assert.equal(userKeys.length, 5, userKeys.join(', ')); // 4 records + the index
      const slots = new Set(await Promise.all(userKeys.map((k) => client!.cluster('KEYSLOT', k))));
      assert.equal(slots.size, 1);
      assert.equal(await client!.cluster('KEYSLOT', `${prefix}{${tag}}:o:user-1`), [...slots][0]);
      const pointer = keys.find((k) => k.includes(':p:'));
      assert.equal(pointer, `${prefix}{fore}:p:foreign-id`);
      assert.equal(await client!.cluster('KEYSLOT', pointer), await client!.cluster('KEYSLOT', 'fore'));
      // Multi-key scripts work across the layout: end them all, purge them all.
      assert.equal((await store.endSessions(endRequest('user-1', { all: true }))).length, 4);
      assert.equal(await store.purgeExpired(T0 + 2 * 60_000), 4);
      assert.deepEqual(await keysWithPrefix(client!, prefix), []);
    } finally {
      await deleteKeysWithPrefix(client!, prefix);
    }
  });

  it('the sessions of 50 users spread over more than one master', async () => {
    const prefix = freshPrefix();
    const store = createRedisStore({ client: client!, database: createMemoryStore(), keyPrefix: prefix, clock: atT0 });
    try {
      for (let n = 1; n <= 50; n++) {
        await seedUser(store, n);
        const id = await store.sessionIdFor(`user-${n}`, generateId(systemRandom));
        await store.createSession(makeSession(id, `user-${n}`));
        assert.equal((await store.getSessionAndUser(id))?.user.id, `user-${n}`);
      }
      const perMaster = await Promise.all(
        client!.nodes('master').map(async (node) => {
          let count = 0;
          let cursor = '0';
          do {
            const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}*:s:*`, 'COUNT', 1000);
            count += batch.length;
            cursor = next;
          } while (cursor !== '0');
          return count;
        }),
      );
      assert.equal(perMaster.reduce((a, b) => a + b, 0), 50);
      assert.ok(perMaster.filter((count) => count > 0).length > 1, `records per master: ${perMaster.join(', ')}`);
    } finally {
      await deleteKeysWithPrefix(client!, prefix);
    }
  });
});

describe('Redis store on a hung Redis', { skip }, () => {
  it('a paused server: commands time out (500 ms) instead of hanging', async () => {
    const { server, client: redis, stop } = await startStandaloneRedis();
    try {
      const admin = createRedisClient(`redis://127.0.0.1:${server.port}`);
      await once(admin, 'ready');
      await admin.client('PAUSE', 3000, 'ALL');
      admin.disconnect();
      const store = createRedisStore({ client: redis, database: createMemoryStore() });
      const started = performance.now();
      await assert.rejects(store.getSessionAndUser('AAAAAAAAAAAAAAAAAAAAAA'), /timed out/i);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1500, `${Math.round(elapsed)} ms`);
    } finally {
      await stop();
    }
  });
});

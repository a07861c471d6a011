import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { createRedisStore, redisClientOptions } from '../../src/stores/redis.js';
import { makeSession, seedUser, T0 } from './conformance-fixtures.js';
import { redisBinariesProbe, startStandaloneRedis } from './redis-cluster-helper.js';
import { requireService } from './service-availability.js';

// A Redis that hangs (SIGSTOP on a redis-server of this file's own; the shared one is never
// touched) must fail each cookie check after one command timeout, not after several: with
// ioredis's auto-pipelining, every command queued behind a stalled pipeline waited out that
// pipeline's timeout before its own, so under concurrency checks failed after two timeouts.
// The library's default client options (redisClientOptions) turn auto-pipelining off.

const skip = await requireService('redis-server and redis-cli', redisBinariesProbe);
const atT0: Clock = { nowMs: () => T0 };

describe('Redis store with the default client options, Redis paused', { skip, timeout: 60_000 }, () => {
  it('concurrent cookie checks each fail after one command timeout (500 ms), none after two', async () => {
    assert.equal(redisClientOptions().enableAutoPipelining, false);
    const { server, client, stop } = await startStandaloneRedis();
    try {
      const store = createRedisStore({ client, database: createMemoryStore(), keyPrefix: 'stall:', clock: atT0 });
      const user = await seedUser(store, 1);
      const id = await store.sessionIdFor(user.id, 'AAAAAAAAAAAAAAAAAAAAAA');
      await store.createSession(makeSession(id, user.id));
      assert.equal((await store.getSessionAndUser(id))?.session.id, id);

      process.kill(server.pid, 'SIGSTOP');
      try {
        // Three waves, each started while the one before is still waiting on Redis.
        const checks: Array<Promise<number>> = [];
        for (let wave = 0; wave < 3; wave++) {
          for (let i = 0; i < 10; i++) {
            const started = performance.now();
            checks.push(store.getSessionAndUser(id).then(
              () => Number.POSITIVE_INFINITY, // an answer from a paused Redis: impossible
              () => performance.now() - started,
            ));
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const failedAfter = await Promise.all(checks);
        const slowest = Math.max(...failedAfter);
        assert.ok(failedAfter.every((ms) => ms >= 450), `a check failed before its timeout: ${failedAfter.map(Math.round).join(', ')} ms`);
        assert.ok(slowest < 800, `a check waited ${Math.round(slowest)} ms: queued behind another command's timeout`);
      } finally {
        process.kill(server.pid, 'SIGCONT');
      }
    } finally {
      await stop();
    }
  });
});

// `tessera serve` on a Redis Cluster given as TESSERA_REDIS_URL's comma-separated seed list: a
// 3-master cluster of this file's own (processes on free loopback ports, no persistence, every
// node requiring a password), stopped by PID when the file ends. ioredis takes a cluster node's
// credentials from its `redisOptions`, not from the seed list, so the seeds' password must be
// carried over: without it every node answers NOAUTH and the server cannot start.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createArgon2Hasher } from 'tessera';
import { createRedisCluster } from 'tessera/redis';
import { keysWithPrefix, redisBinariesProbe, startRedisCluster } from '../../../tessera/test/stores/redis-cluster-helper.js';
import type { RedisClusterHandle } from '../../../tessera/test/stores/redis-cluster-helper.js';
import { requireService } from '../../../tessera/test/stores/service-availability.js';
import { buildServer } from '../../src/app.js';
import { clusterConnection } from '../../src/stores.js';
import { loadConfig } from '../../src/config.js';
import { GOOD_PASSWORD } from '../helpers/test-server.js';

const skip = await requireService('redis-server and redis-cli', redisBinariesProbe);
const PASSWORD = 'cluster-secret-9f2c';

describe('tessera serve with Redis Cluster seed URLs', { skip }, () => {
  let cluster: RedisClusterHandle | undefined;
  let dataDir = '';

  before(async () => {
    cluster = await startRedisCluster(3, { password: PASSWORD });
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-cluster-seeds-'));
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("connects every node, and the bus's subscriber, with the seeds' password; sessions live in the cluster", { timeout: 60_000 }, async () => {
    const prefix = `seeds-${process.pid}:`;
    const seeds = cluster!.nodes.map((n) => `redis://:${PASSWORD}@${n.host}:${n.port}`).join(',');
    const config = loadConfig([], { TESSERA_DATA_DIR: dataDir, TESSERA_REDIS_URL: seeds, TESSERA_REDIS_PREFIX: prefix, TESSERA_LOG_LEVEL: 'silent' });
    const server = await buildServer(config, { passwordHasher: createArgon2Hasher({ memoryKiB: 1024, timeCost: 1 }) });
    try {
      const email = `seeds-${Date.now()}@example.com`;
      const registered = await server.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
      assert.equal(registered.statusCode, 201, registered.body);
      const login = await server.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD } });
      assert.equal(login.statusCode, 200, login.body);
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const me = await server.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie } });
      assert.equal(me.statusCode, 200, me.body);
      assert.equal(JSON.parse(me.body).user.email, email);
    } finally {
      await server.close();
    }
    // The session lives in the cluster, under the prefix: read with a client of the test's own.
    const reader = createRedisCluster([...cluster!.nodes], { redisOptions: clusterConnection(new URL(seeds.split(',')[0]!)) });
    try {
      await once(reader, 'ready');
      assert.ok((await keysWithPrefix(reader, prefix)).length > 0, 'no key under the prefix in the cluster');
    } finally {
      reader.disconnect();
    }
  });

  it('the TLS and credentials of a seed become every node connection option', () => {
    assert.deepEqual(clusterConnection(new URL('rediss://app%40x:p%3Aw@10.0.0.1:7000')), { username: 'app@x', password: 'p:w', tls: {} });
    assert.deepEqual(clusterConnection(new URL(`redis://:${PASSWORD}@127.0.0.1:7000`)), { password: PASSWORD });
    assert.deepEqual(clusterConnection(new URL('redis://127.0.0.1:7000')), {});
  });
});

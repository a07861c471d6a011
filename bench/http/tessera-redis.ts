import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { RUN_PREFIX, deleteRedisKeys, tempDir } from '../micro/stores.js';
import type { Scenario } from './scenarios.js';
import { signInBoth, startTessera } from './tessera.js';
import type { TesseraServer } from './tessera.js';

/**
 * Issue 4's scale-out target: `GET /auth/me` with a session cookie on one of three Tessera
 * instances sharing Redis (and one data dir). Their keys go under this run's prefix
 * (TESSERA_REDIS_PREFIX) in a logical database of their own (BENCH_REDIS_DB, default 13, in
 * case a server ignores the prefix), and are deleted there afterwards (never a flush). When
 * the server refuses TESSERA_REDIS_URL, the scenario is reported as blocked with its message.
 */

export const REDIS_DB = Number(process.env.BENCH_REDIS_DB ?? 13);

export interface RedisCluster {
  scenario: Scenario;
  stop(): Promise<void>;
}

/**
 * `sessionCacheSeconds` > 0 runs the three instances with the opt-in session cache
 * (TESSERA_SESSION_CACHE), as a second scenario beside the default (a Redis read per request).
 */
export async function setupTesseraRedis(core: number | undefined, redisUrl: string | null, sessionCacheSeconds = 0): Promise<RedisCluster> {
  const cachedSuffix = sessionCacheSeconds > 0 ? `, TESSERA_SESSION_CACHE=${sessionCacheSeconds}` : '';
  const scenario: Scenario = {
    id: sessionCacheSeconds > 0 ? 'tessera-session-redis-cached' : 'tessera-session-redis',
    label: `Tessera, session cookie (Redis, 3 instances${cachedSuffix})`,
    group: 'tessera',
    url: '',
    headers: {},
    credentialBytes: 0,
  };
  if (redisUrl === null) return { scenario: { ...scenario, skipped: 'Redis is not reachable' }, stop: async () => {} };
  const dataDir = tempDir('redis-cluster');
  const servers: TesseraServer[] = [];
  const prefix = `${RUN_PREFIX}cluster${sessionCacheSeconds}:`;
  const env = {
    TESSERA_REDIS_URL: `${redisUrl.replace(/\/\d*$/, '')}/${REDIS_DB}`,
    TESSERA_REDIS_PREFIX: prefix,
    TESSERA_SESSION_CACHE: String(sessionCacheSeconds),
  };
  const stop = async (): Promise<void> => {
    const started = servers.length > 0;
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dataDir, { recursive: true, force: true });
    if (!started) return;
    const client = new Redis(env.TESSERA_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    try {
      await client.connect();
      await deleteRedisKeys(client, prefix);
      await deleteRedisKeys(client, 'tessera:'); // the server's default prefix, had it ignored ours
    } finally {
      client.disconnect();
    }
  };
  try {
    // The instance under test is pinned to the server core; the two others idle unpinned.
    for (let i = 0; i < 3; i++) servers.push(await startTessera({ core: i === 0 ? core : undefined, env, dataDir }));
    const signedIn = await signInBoth(servers[1]!.url); // signed in on another instance
    const headers = { cookie: signedIn.sessionCookie };
    const url = `${servers[0]!.url}/auth/me`;
    const response = await fetch(url, { headers });
    if (response.status !== 200) throw new Error(`GET /auth/me answered ${response.status}`);
    return { scenario: { ...scenario, url, headers, credentialBytes: Buffer.byteLength(`cookie: ${headers.cookie}\r\n`) }, stop };
  } catch (error) {
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    const refused = /not supported|did not become ready/.test(message);
    return { scenario: { ...scenario, [refused ? 'skipped' : 'error']: `blocked: ${message.replace(/\s+/g, ' ').slice(0, 240)}` }, stop: async () => {} };
  }
}

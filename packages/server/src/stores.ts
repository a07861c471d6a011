import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import type { ClusterBus, Store } from 'tessera';
import { createPostgresClusterBus, createPostgresStore } from 'tessera/postgres';
import { createRedisClient, createRedisCluster, createRedisClusterBus, createRedisStore } from 'tessera/redis';
import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite';
import type { ServerConfig } from './config.js';

/**
 * Request-path timeouts for the network stores. A store that does not answer within them
 * makes the request fail with 503 and Retry-After, well inside the 500 ms the spec allows,
 * instead of hanging; the pools reconnect on their own when the store comes back.
 */
export const STORE_TIMEOUT_MS = 400;

/** Resolves when the Redis client (or cluster) is connected; rejects after `timeoutMs`. */
function whenReady(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.disconnect();
      reject(new Error(`Redis did not become ready within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The stores of one server instance, and how to close them. */
export interface OpenedStores {
  store: Store;
  /** How instances tell each other about revocations and rotations (absent on SQLite). */
  clusterBus: ClusterBus | undefined;
  /** What serves what, for the start-up log line (no secrets). */
  description: string;
  close(): Promise<void>;
}

/**
 * Chooses the stores from the configuration: SQLite by default; PostgreSQL for users, keys,
 * the revocation feed and the audit log with TESSERA_DATABASE_URL; Redis (or Valkey, or a
 * Redis Cluster given as a comma-separated list of node URLs) for session records, refresh
 * state and throttles with TESSERA_REDIS_URL. The cluster bus runs on Redis when there is
 * one, else on PostgreSQL LISTEN/NOTIFY.
 */
export async function openStores(config: ServerConfig, onBackgroundError: (error: unknown) => void): Promise<OpenedStores> {
  const closers: Array<() => Promise<void>> = [];
  let database: Store;
  let clusterBus: ClusterBus | undefined;
  let description: string;

  if (config.databaseUrl !== undefined) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: 10,
      connectionTimeoutMillis: STORE_TIMEOUT_MS,
      query_timeout: STORE_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
    });
    // An idle client that loses its connection must not crash the process.
    pool.on('error', onBackgroundError);
    database = createPostgresStore(pool);
    clusterBus = createPostgresClusterBus(pool);
    description = 'PostgreSQL';
    closers.push(() => database.close());
  } else {
    database = createSqliteStore(openSqliteDatabase(join(config.dataDir, 'tessera.db')));
    description = `SQLite (${join(config.dataDir, 'tessera.db')})`;
    closers.push(() => database.close());
  }
  await database.migrate();

  let store = database;
  if (config.redisUrl !== undefined) {
    const urls = config.redisUrl.split(',').map((u) => u.trim()).filter(Boolean);
    const timeouts = { commandTimeout: STORE_TIMEOUT_MS, connectTimeout: 2000 };
    let client: Redis | Cluster;
    if (urls.length > 1) {
      client = createRedisCluster(urls.map((u) => {
        const url = new URL(u);
        return { host: url.hostname, port: Number(url.port || 6379) };
      }), { redisOptions: timeouts });
    } else {
      client = createRedisClient(urls[0]!, timeouts);
    }
    client.on('error', onBackgroundError);
    // The request path fails fast (no offline queue), so start only once connected.
    await whenReady(client, 10_000);
    store = createRedisStore({ client, database });
    clusterBus = createRedisClusterBus(client);
    description = `Redis${urls.length > 1 ? ` Cluster (${urls.length} seed nodes)` : ''} + ${description}`;
    closers.unshift(async () => {
      client.disconnect();
    });
  }

  return {
    store,
    clusterBus,
    description,
    async close() {
      for (const close of closers) await close().catch(onBackgroundError);
    },
  };
}

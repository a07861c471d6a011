import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import type { ClusterBus, Store } from 'tessera';
import { createPostgresClusterBus, createPostgresStore, migratePostgres } from 'tessera/postgres';
import { createRedisClient, createRedisCluster, createRedisClusterBus, createRedisStore, redisClusterOptions } from 'tessera/redis';
import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite';
import type { ServerConfig } from './config.js';

/**
 * Request-path timeouts for the network stores. A store that does not answer within them
 * makes the request fail with 503 and Retry-After, well inside the 500 ms the spec allows,
 * instead of hanging; the pools reconnect on their own when the store comes back.
 */
export const STORE_TIMEOUT_MS = 250;

/**
 * The PostgreSQL LISTEN/NOTIFY channel of a schema: `<schema>_cluster` (`tessera_cluster` by
 * default), the schema cut so that the channel stays a 63-byte identifier. Deployments that
 * share a database but not a schema do not hear each other.
 */
export function postgresChannel(schema: string): string {
  return `${schema.slice(0, 55)}_cluster`;
}

/** The Redis pub/sub channel of a key prefix: `<prefix>cluster` (`tessera:cluster` by default). */
export function redisChannel(prefix: string): string {
  return `${prefix}cluster`;
}

/**
 * How long start-up may wait for PostgreSQL: to connect (a busy database may take longer than
 * the request-path timeout to accept a connection), and to migrate (an instance started
 * together with others waits for the first one's migration, behind an advisory lock).
 */
export const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Migrates on a patient pool of its own (no query timeout: a migration waits for another
 * instance's), then opens `connections` connections of the request-path pool, retrying until
 * the deadline, so that start-up does not fail on the request-path connection timeout of a database
 * that is merely slow to accept (three instances starting at once on a busy host did:
 * test/scale/cold-start.test.ts). The warm connections stay idle in the pool for what
 * start-up does next (keys, revocation view, LISTEN).
 */
async function preparePostgres(config: ServerConfig, pool: pg.Pool, connections: number, onBackgroundError: (error: unknown) => void): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  const patient = new pg.Pool({ connectionString: config.databaseUrl, max: 1, connectionTimeoutMillis: STARTUP_TIMEOUT_MS });
  patient.on('error', onBackgroundError);
  try {
    await migratePostgres(patient, config.databaseSchema);
  } finally {
    await patient.end();
  }
  for (;;) {
    const clients: Array<{ client: pg.PoolClient; onError: (error: Error) => void; broken?: Error }> = [];
    try {
      for (let i = 0; i < connections; i++) {
        const client = await pool.connect();
        // Checked out, a client has no listener of the pool's: a connection lost meanwhile
        // would emit an 'error' nobody hears, which ends the process.
        const held: { client: pg.PoolClient; onError: (error: Error) => void; broken?: Error } = {
          client,
          onError: (error) => {
            held.broken = error;
          },
        };
        client.on('error', held.onError);
        clients.push(held);
      }
      return;
    } catch (error) {
      if (Date.now() + 250 > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      for (const { client, onError, broken } of clients) {
        client.removeListener('error', onError);
        client.release(broken);
      }
    }
  }
}

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

/** The TLS and credentials of a Redis Cluster seed URL, as ioredis options for every node. */
export function clusterConnection(seed: URL): { username?: string; password?: string; tls?: Record<string, never> } {
  return {
    ...(seed.username ? { username: decodeURIComponent(seed.username) } : {}),
    ...(seed.password ? { password: decodeURIComponent(seed.password) } : {}),
    ...(seed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Chooses the stores from the configuration: SQLite by default; PostgreSQL for users, keys,
 * the revocation feed and the audit log with TESSERA_DATABASE_URL (tables in
 * TESSERA_DATABASE_SCHEMA); Redis (or Valkey, or a Redis Cluster given as a comma-separated
 * list of node URLs) for session records, refresh state and throttles with TESSERA_REDIS_URL
 * (keys under TESSERA_REDIS_PREFIX). The cluster bus runs on Redis when there is one, else on
 * PostgreSQL LISTEN/NOTIFY; its channel derives from the prefix (or the schema).
 */
export async function openStores(config: ServerConfig, onBackgroundError: (error: unknown) => void): Promise<OpenedStores> {
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const closer of closers) await closer().catch(onBackgroundError);
  };
  try {
    return { ...(await openEach(config, onBackgroundError, closers)), close };
  } catch (error) {
    // What opened before the failure (PostgreSQL before an unreachable Redis) is closed, or its
    // connections would keep the process alive after the error was reported.
    await close();
    throw error;
  }
}

/** Opens each configured store, pushing onto `closers` how to close it as soon as it is open. */
async function openEach(config: ServerConfig, onBackgroundError: (error: unknown) => void, closers: Array<() => Promise<void>>): Promise<Omit<OpenedStores, 'close'>> {
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
    database = createPostgresStore(pool, { schema: config.databaseSchema });
    closers.push(() => database.close());
    // Two warm connections: one for start-up's reads, one for the LISTEN of the bus below.
    await preparePostgres(config, pool, config.redisUrl === undefined ? 2 : 1, onBackgroundError);
    clusterBus = createPostgresClusterBus(pool, { channel: postgresChannel(config.databaseSchema) });
    description = `PostgreSQL (schema ${config.databaseSchema})`;
  } else {
    database = createSqliteStore(openSqliteDatabase(join(config.dataDir, 'tessera.db'), { cacheSizeMiB: config.sqliteCacheMiB }));
    description = `SQLite (${join(config.dataDir, 'tessera.db')})`;
    closers.push(() => database.close());
    await database.migrate();
  }

  let store = database;
  if (config.redisUrl !== undefined) {
    const urls = config.redisUrl.split(',').map((u) => u.trim()).filter(Boolean);
    const timeouts = { commandTimeout: STORE_TIMEOUT_MS, connectTimeout: 2000 };
    // No auto-pipelining (the library's default, see redisClientOptions): while Redis hangs,
    // every command queued behind a stalled pipeline waits out that pipeline's timeout before
    // its own: 503s took two timeouts (~800 ms) under concurrent load
    // (test/scale/redis-outages.test.ts). Without it, each command fails after STORE_TIMEOUT_MS.
    let client: Redis | Cluster;
    if (urls.length > 1) {
      // Per node: the library's fail-fast settings (maxRetriesPerRequest: 1), with our timeouts,
      // and the seeds' TLS and credentials (the configuration made them agree), which ioredis
      // takes from `redisOptions` for every node it connects to, not from the seed list.
      const seeds = urls.map((u) => new URL(u));
      client = createRedisCluster(
        seeds.map((url) => ({ host: url.hostname, port: Number(url.port || 6379) })),
        { redisOptions: { ...redisClusterOptions().redisOptions, ...timeouts, ...clusterConnection(seeds[0]!) } },
      );
    } else {
      client = createRedisClient(urls[0]!, timeouts);
    }
    client.on('error', onBackgroundError);
    closers.unshift(async () => {
      client.disconnect();
    });
    // The request path fails fast (no offline queue), so start only once connected.
    await whenReady(client, 10_000);
    store = createRedisStore({ client, database, keyPrefix: config.redisPrefix });
    clusterBus = createRedisClusterBus(client, { channel: redisChannel(config.redisPrefix) });
    description = `Redis${urls.length > 1 ? ` Cluster (${urls.length} seed nodes)` : ''} + ${description}`;
  }

  return { store, clusterBus, description };
}

import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { Redis } from 'ioredis';
import { memoryStore, postgresStore, redisStore, sqliteStore } from '../lib/built.js';
import type { Store } from '../../packages/tessera/src/stores/types.js';

const { createMemoryStore } = memoryStore;
const { createSqliteStore, openSqliteDatabase } = sqliteStore;

/**
 * The stores the micro benchmarks run on. SQLite in a temp dir; Redis (with a unique key
 * prefix, its keys deleted afterwards, never a flush) and PostgreSQL (a unique schema, dropped
 * afterwards) only when their store module loads and the service answers: otherwise the
 * reason is reported instead of a number.
 */

export type StoreName = 'memory' | 'sqlite' | 'redis' | 'postgres';

export interface BenchStore {
  name: StoreName;
  store: Store;
  /** Bytes the store holds for its session records now (null: not measurable). */
  sessionBytes(): Promise<number | null>;
  cleanup(): Promise<void>;
}

export const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A unique prefix per harness run for every Redis key the benchmarks write. */
export const RUN_PREFIX = `tessera-bench:${process.pid}-${randomBytes(4).toString('hex')}:`;

const tempDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the process exits (if not before). */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tessera-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function sqliteBench(): BenchStore & { path: string; db: Database } {
  const dir = tempDir('sqlite');
  const path = join(dir, 'tessera.db');
  const db = openSqliteDatabase(path);
  const store = createSqliteStore(db);
  return {
    name: 'sqlite',
    store,
    path,
    db,
    sessionBytes: async () => sqliteTableBytes(db, 'sessions'),
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Bytes of a table and its indexes from `dbstat` (pages in use), or null without dbstat. */
export function sqliteTableBytes(db: Database, table: string): number | null {
  try {
    const row = db
      .prepare(`SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name = ? OR name IN (SELECT name FROM sqlite_master WHERE tbl_name = ? AND type = 'index')`)
      .get(table, table) as { bytes: number | null };
    return row.bytes ?? 0;
  } catch {
    return null;
  }
}

export function memoryBench(): BenchStore {
  const store = createMemoryStore();
  return { name: 'memory', store, sessionBytes: async () => null, cleanup: () => store.close() };
}

/** Deletes every key under `prefix` with SCAN + DEL (never FLUSHALL/FLUSHDB). */
export async function deleteRedisKeys(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** {@link deleteRedisKeys} for each prefix, on a connection of its own to `url`. */
export async function deleteRedisKeysAt(url: string, prefixes: readonly string[]): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    await client.connect();
    for (const prefix of prefixes) await deleteRedisKeys(client, prefix);
  } finally {
    client.disconnect();
  }
}

export async function redisBench(): Promise<BenchStore> {
  const { createRedisClient, createRedisStore } = await redisStore();
  const client = createRedisClient(REDIS_URL, { enableOfflineQueue: true, commandTimeout: 5000 });
  client.on('error', () => {});
  try {
    await Promise.race([once(client, 'ready'), new Promise((_, reject) => setTimeout(() => reject(new Error(`Redis at ${REDIS_URL} did not answer`)), 3000))]);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  const database = sqliteBench();
  const prefix = `${RUN_PREFIX}store:`;
  const store = createRedisStore({ client, database: database.store, keyPrefix: prefix });
  return {
    name: 'redis',
    store,
    async sessionBytes() {
      let total = 0;
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          if (key.includes(':f:')) continue; // login-failure counters are not session state
          total += Number((await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
        }
      } while (cursor !== '0');
      return total;
    },
    async cleanup() {
      await store.close();
      await deleteRedisKeys(client, prefix);
      client.disconnect();
      await database.cleanup();
    },
  };
}

/** A throwaway PostgreSQL schema name of this run (`tag`: a-z, 0-9, _), dropped by {@link dropSchemaAt}. */
export function benchSchema(tag: string): string {
  return `bench_${process.pid}_${tag}_${randomBytes(3).toString('hex')}`;
}

/** Whether PostgreSQL answers at `url` (within 3 s). */
export async function postgresReachable(url: string): Promise<boolean> {
  return queryOnce(url, 'SELECT 1');
}

/** Drops `schema` and everything in it; a database that does not answer is left alone (nothing was kept there but this run's rows). */
export async function dropSchemaAt(url: string, schema: string): Promise<void> {
  await queryOnce(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

/** Runs `sql` on a connection of its own to `url` (3 s to connect); false when that fails. */
async function queryOnce(url: string, sql: string): Promise<boolean> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(sql);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function postgresBench(): Promise<BenchStore> {
  const { createPostgresStore } = await postgresStore();
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000, max: 4 });
  pool.on('error', () => {});
  const schema = benchSchema('store');
  const store = createPostgresStore(pool, { schema });
  return {
    name: 'postgres',
    store,
    async sessionBytes() {
      const r = await pool.query<{ bytes: string }>(`SELECT pg_total_relation_size('${schema}.sessions') AS bytes`);
      return Number(r.rows[0]!.bytes);
    },
    async cleanup() {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await store.close();
    },
  };
}

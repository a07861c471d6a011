import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { firstJsonLine, pinRunning, startChild } from '../lib/children.js';
import { RUN_PREFIX, benchSchema, deleteRedisKeysAt, dropSchemaAt, tempDir } from '../micro/stores.js';
import { credentialsOf, headerBytes } from './scenarios.js';
import type { Scenario } from './scenarios.js';
import { SERVER_NODE_FLAGS, signInBoth, startTessera, startTesseraLibrary } from './tessera.js';
import type { TesseraServer } from './tessera.js';

/**
 * Issue 4's scale-out target: `GET /auth/me` with a session cookie on one of three Tessera
 * instances sharing Redis, and either one data dir (users in its SQLite file) or, as the
 * spec's scale-out deployment has it, PostgreSQL. Their keys go under this run's prefix
 * (TESSERA_REDIS_PREFIX) in a logical database of their own (BENCH_REDIS_DB, default 13, in
 * case a server ignores the prefix), and are deleted there afterwards (never a flush); their
 * PostgreSQL tables go in a schema of this run (TESSERA_DATABASE_SCHEMA), dropped afterwards.
 * When the server refuses TESSERA_REDIS_URL, the scenario is reported as blocked with its message.
 */

export const REDIS_DB = Number(process.env.BENCH_REDIS_DB ?? 13);

/** The URL of the benchmark's own logical database on the Redis at `redisUrl`. */
const benchDbUrl = (redisUrl: string): string => `${redisUrl.replace(/\/\d*$/, '')}/${REDIS_DB}`;

/** One row of the Redis phase: its scenario, and how to stop the servers behind it. */
export interface PhaseRow {
  scenario: Scenario;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /**
   * > 0: the three instances run with the opt-in session cache (TESSERA_SESSION_CACHE), a
   * scenario beside the default (a Redis read per request).
   */
  sessionCacheSeconds?: number;
  /** Users, keys and audit log in PostgreSQL at this URL (null: not reachable, the row is skipped). */
  databaseUrl?: string | null;
}

export async function setupTesseraRedis(core: number | undefined, redisUrl: string | null, options: ClusterOptions = {}): Promise<PhaseRow> {
  const { sessionCacheSeconds = 0, databaseUrl } = options;
  const postgres = databaseUrl !== undefined;
  const cachedSuffix = sessionCacheSeconds > 0 ? `, TESSERA_SESSION_CACHE=${sessionCacheSeconds}` : '';
  const scenario: Scenario = {
    id: `tessera-session-redis${postgres ? '-pg' : ''}${sessionCacheSeconds > 0 ? '-cached' : ''}`,
    label: `Tessera, session cookie (Redis${postgres ? ' + PostgreSQL' : ''}, 3 instances${cachedSuffix})`,
    group: 'tessera',
    url: '',
    headers: {},
    credentialBytes: 0,
  };
  if (redisUrl === null) return { scenario: { ...scenario, skipped: 'Redis is not reachable' }, stop: async () => {} };
  if (databaseUrl === null) return { scenario: { ...scenario, skipped: 'PostgreSQL is not reachable' }, stop: async () => {} };
  const dataDir = tempDir('redis-cluster');
  const servers: TesseraServer[] = [];
  const prefix = `${RUN_PREFIX}cluster${postgres ? 'pg' : ''}${sessionCacheSeconds}:`;
  const schema = postgres ? benchSchema('cluster') : undefined;
  const env: Record<string, string> = {
    TESSERA_REDIS_URL: benchDbUrl(redisUrl),
    TESSERA_REDIS_PREFIX: prefix,
    TESSERA_SESSION_CACHE: String(sessionCacheSeconds),
    ...(postgres ? { TESSERA_DATABASE_URL: databaseUrl, TESSERA_DATABASE_SCHEMA: schema! } : {}),
  };
  const stop = async (): Promise<void> => {
    const started = servers.length > 0;
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dataDir, { recursive: true, force: true });
    if (!started) return;
    await deleteRedisKeysAt(env.TESSERA_REDIS_URL!, [prefix, 'tessera:']); // and the server's default prefix, had it ignored ours
    if (postgres) await dropSchemaAt(databaseUrl, schema!);
  };
  try {
    // The instance under test is pinned to the server core; the two others idle unpinned.
    for (let i = 0; i < 3; i++) servers.push(await startTessera({ core: i === 0 ? core : undefined, env, dataDir }));
    const signedIn = await signInBoth(servers[1]!.url); // signed in on another instance
    const headers = { cookie: signedIn.sessionCookie };
    const url = `${servers[0]!.url}/auth/me`;
    const response = await fetch(url, { headers });
    if (response.status !== 200) throw new Error(`GET /auth/me answered ${response.status}`);
    return { scenario: { ...scenario, url, headers, credentialBytes: headerBytes(headers) }, stop };
  } catch (error) {
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    const refused = /not supported|did not become ready/.test(message);
    return { scenario: { ...scenario, [refused ? 'skipped' : 'error']: `blocked: ${message.replace(/\s+/g, ' ').slice(0, 240)}` }, stop: async () => {} };
  }
}

/**
 * The library in a plain Fastify app (servers/tessera-fastify.ts) with its session records in
 * Redis in front of its SQLite file: `GET /auth/me` with a session cookie, one instance (the
 * request path is the same on each of three). Shown beside the Redis × 3 target, as the
 * library rows are beside the SQLite one: the two reads per request without `tessera serve`'s
 * extras and access line. Keys under this run's prefix, in the same logical database.
 */
export async function setupLibraryRedis(core: number | undefined, redisUrl: string | null, body: string): Promise<PhaseRow> {
  const scenario: Scenario = {
    id: 'library-session-redis',
    label: 'Tessera library in Fastify: /auth/me, session cookie (Redis)',
    group: 'tessera',
    url: '',
    headers: {},
    credentialBytes: 0,
  };
  if (redisUrl === null) return { scenario: { ...scenario, skipped: 'Redis is not reachable' }, stop: async () => {} };
  const url = benchDbUrl(redisUrl);
  const prefix = `${RUN_PREFIX}library:`;
  let server: TesseraServer | undefined;
  const stop = async (): Promise<void> => {
    if (server === undefined) return;
    await server.stop();
    await deleteRedisKeysAt(url, [prefix]);
  };
  try {
    // Inside the try: a library that does not start is this row's error, not the whole phase's.
    server = await startTesseraLibrary({ core, env: { BENCH_BODY: body, BENCH_REDIS_URL: url, BENCH_REDIS_PREFIX: prefix } });
    const headers = { cookie: (await signInBoth(server.url)).sessionCookie };
    const me = `${server.url}/auth/me`;
    const response = await fetch(me, { headers });
    if (response.status !== 200) throw new Error(`GET /auth/me answered ${response.status}`);
    return { scenario: { ...scenario, url: me, headers, credentialBytes: headerBytes(headers) }, stop };
  } catch (error) {
    await stop();
    return { scenario: { ...scenario, error: error instanceof Error ? error.message : String(error) }, stop: async () => {} };
  }
}

const PG_HOOK = fileURLToPath(new URL('./servers/pg-hook.ts', import.meta.url));

/**
 * The floor of a PostgreSQL read per request (servers/pg-hook.ts: one SELECT by primary key),
 * beside the Redis + PostgreSQL rows, whose user read it is. Its table goes in a schema of
 * this run, dropped afterwards.
 */
export async function setupPgHook(core: number | undefined, databaseUrl: string | null, body: string): Promise<PhaseRow> {
  const scenario: Scenario = { id: 'pg-hook', label: 'Fastify hook, one PostgreSQL SELECT', group: 'floor', url: '', headers: {}, credentialBytes: 0 };
  if (databaseUrl === null) return { scenario: { ...scenario, skipped: 'PostgreSQL is not reachable' }, stop: async () => {} };
  const schema = benchSchema('hook');
  const child = startChild({
    name: scenario.label,
    command: process.execPath,
    args: [...SERVER_NODE_FLAGS, '--import', 'tsx', PG_HOOK],
    env: { BENCH_BODY: body, BENCH_DATABASE_URL: databaseUrl, BENCH_PG_SCHEMA: schema },
  });
  const stop = async (): Promise<void> => {
    await child.stop();
    await dropSchemaAt(databaseUrl, schema);
  };
  try {
    const { port } = await firstJsonLine<{ port: number }>(child);
    pinRunning(child.pid, core);
    const base = `http://127.0.0.1:${port}`;
    const headers = await credentialsOf(base);
    const response = await fetch(`${base}/auth/me`, { headers });
    if (response.status !== 200) throw new Error(`GET /auth/me answered ${response.status}`);
    return { scenario: { ...scenario, url: `${base}/auth/me`, headers, credentialBytes: headerBytes(headers) }, stop };
  } catch (error) {
    await stop();
    return { scenario: { ...scenario, error: error instanceof Error ? error.message : String(error) }, stop: async () => {} };
  }
}

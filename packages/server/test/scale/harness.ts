/**
 * Shared plumbing of the scale-out tests: a "deployment" (one PostgreSQL schema and one Redis
 * key prefix of its own on the shared services, dropped afterwards), several `tessera serve`
 * children on it, a keep-alive HTTP client that measures every request (load loops: load.ts), and the
 * `FIGURE:` lines collected for the issue. Nothing here stops, flushes or pauses a shared
 * service: outage tests use their own redis-server / PostgreSQL (see own-services.ts).
 */
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { requireService } from '../../../tessera/test/stores/service-availability.js';
import { cleanUpServers, spawnServer } from '../robustness/spawn-server.js';
import type { SpawnedServer } from '../robustness/spawn-server.js';

export const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const ISSUER = 'https://auth.test';
export const PASSWORD = 'scale-out test passphrase 7Qx2';
/** A service key (only so that the instances share a realistic configuration). */
export const SERVICE_KEY = randomBytes(32).toString('base64url');
export const IN_CI = process.env.CI === 'true';

/** Skip reason when the shared Redis or PostgreSQL is not reachable (throws under CI=true). */
export async function sharedServicesSkip(): Promise<string | undefined> {
  const redisSkip = await requireService('Redis', async () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  }, { at: REDIS_URL });
  const pgSkip = await requireService('PostgreSQL', async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => {});
    }
  }, { at: DATABASE_URL.replace(/:[^:@/]*@/, ':***@') });
  return redisSkip ?? pgSkip;
}

// Killed by a signal (the test runner cancelling, Ctrl-C), exit properly so that every
// 'exit' hook (spawn-server.ts, own-services.ts) stops the processes this file started.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 129));
}

/** Prints a measured figure (collected for the issue note). */
export function figure(text: string): void {
  console.log(`FIGURE: ${text}`);
}

// HTTP ----------------------------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Wall time of the request, ms. */
  ms: number;
}

export interface CallOptions {
  headers?: Record<string, string>;
  json?: unknown;
  /** The client gives up (and the call rejects) after this long; default 5000 ms. */
  timeoutMs?: number;
}

/** One HTTP request on a keep-alive connection; rejects on a network error or the timeout. */
export function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  const headers: Record<string, string> = { ...options.headers };
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 5000} ms: ${method} ${path}`)), options.timeoutMs ?? 5000);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

/** The `name=value` pairs of a reply's Set-Cookie headers. */
export function cookiesOf(reply: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of reply.headers['set-cookie'] ?? []) {
    const pair = c.split(';', 1)[0]!;
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** A signed-in client: its session record id and the credential of its mode. */
export interface Credential {
  mode: 'session' | 'jwt';
  sessionId: string;
  /** `Cookie` or `Authorization` header to send. */
  headers: Record<string, string>;
  refreshToken?: string;
}

/** The claims of a JWT, decoded without verification (the test knows where it came from). */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export async function register(base: string, email: string): Promise<void> {
  const r = await call(base, 'POST', '/auth/register', { json: { email, password: PASSWORD } });
  if (r.status !== 201) throw new Error(`register ${email}: ${r.status} ${r.body}`);
}

/** Signs in (throws unless 200). */
export async function signIn(base: string, email: string, mode: 'session' | 'jwt'): Promise<Credential> {
  const r = await call(base, 'POST', '/auth/login', { json: { email, password: PASSWORD, mode }, timeoutMs: 10_000 });
  if (r.status !== 200) throw new Error(`sign-in ${email} (${mode}) on ${base}: ${r.status} ${r.body}`);
  const body = JSON.parse(r.body) as { session?: { id: string }; accessToken?: string; refreshToken?: string };
  if (mode === 'session') {
    const value = cookiesOf(r).tessera_session;
    if (!value) throw new Error('no session cookie');
    return { mode, sessionId: body.session!.id, headers: { cookie: `tessera_session=${value}` } };
  }
  return { mode, sessionId: String(jwtClaims(body.accessToken!).sid), headers: { authorization: `Bearer ${body.accessToken}` }, refreshToken: body.refreshToken! };
}

/** GET /auth/me with a credential. */
export function me(base: string, credential: Credential, timeoutMs?: number): Promise<Reply> {
  return call(base, 'GET', '/auth/me', { headers: credential.headers, ...(timeoutMs ? { timeoutMs } : {}) });
}

/** Polls `check` until it returns true or `deadlineMs` passes; resolves with the elapsed ms, or null. */
export async function pollUntil(check: () => Promise<boolean>, deadlineMs: number, intervalMs = 1): Promise<number | null> {
  const started = performance.now();
  for (;;) {
    if (await check().catch(() => false)) return performance.now() - started;
    if (performance.now() - started > deadlineMs) return null;
    await sleep(intervalMs);
  }
}

// Deployments ---------------------------------------------------------------------------------

export interface Deployment {
  readonly schema: string;
  readonly prefix: string;
  /** The environment every instance of the deployment shares. */
  readonly env: Record<string, string>;
  /** A pool on the deployment's database (for reading keys, dropping the schema). */
  readonly pool: pg.Pool;
  readonly servers: SpawnedServer[];
  /** Starts one more `tessera serve` of this deployment (`extraEnv` wins). */
  start(extraEnv?: Record<string, string>): Promise<SpawnedServer>;
  /** Stops its servers, drops its schema and deletes its Redis keys (never anything else). */
  cleanUp(): Promise<void>;
}

/** Three instances of one deployment, as {@link useThreeInstances} starts them. */
export interface ThreeInstances {
  readonly d: Deployment;
  readonly A: SpawnedServer;
  readonly B: SpawnedServer;
  readonly C: SpawnedServer;
  /** 'A', 'B' or 'C', for messages. */
  name(server: SpawnedServer): string;
}

/**
 * In the current `describe`: before its tests, a deployment (`createDeployment(tag, options)`)
 * and three instances, A first (it migrates and creates the first signing key; B and C find
 * both); after them, everything stopped and cleaned up. The fields are read in the tests.
 */
export function useThreeInstances(tag: string, options: Parameters<typeof createDeployment>[1] = {}): ThreeInstances {
  let d: Deployment | undefined;
  const servers: SpawnedServer[] = [];
  const started = (i: number): SpawnedServer => {
    const server = servers[i];
    if (server === undefined) throw new Error('the instances are not started (used outside a test?)');
    return server;
  };
  before(async () => {
    d = await createDeployment(tag, options);
    servers.push(await d.start());
    servers.push(...(await Promise.all([d.start(), d.start()])));
  });
  after(async () => {
    try {
      await d?.cleanUp();
    } finally {
      await cleanUpServers();
    }
  });
  return {
    get d() {
      if (d === undefined) throw new Error('the deployment is not created (used outside a test?)');
      return d;
    },
    get A() { return started(0); },
    get B() { return started(1); },
    get C() { return started(2); },
    name: (server) => String.fromCharCode(65 + servers.indexOf(server)),
  };
}

/**
 * A deployment on its own schema `scale_<tag>_<random>` and key prefix `scale:<tag>:<random>:`.
 * `redisUrl: null` runs without Redis (sessions in PostgreSQL).
 */
export async function createDeployment(tag: string, options: { redisUrl?: string | null; databaseUrl?: string; env?: Record<string, string> } = {}): Promise<Deployment> {
  const id = randomBytes(4).toString('hex');
  const schema = `scale_${tag}_${id}`;
  const prefix = `scale:${tag}:${id}:`;
  const databaseUrl = options.databaseUrl ?? DATABASE_URL;
  const redisUrl = options.redisUrl === undefined ? REDIS_URL : options.redisUrl;
  const env: Record<string, string> = {
    TESSERA_DATABASE_URL: databaseUrl,
    TESSERA_DATABASE_SCHEMA: schema,
    TESSERA_ISSUER: ISSUER,
    TESSERA_SERVICE_KEYS: SERVICE_KEY,
    TESSERA_COOKIE_SECURE: 'false',
    TESSERA_LOG_LEVEL: 'silent',
    ...(redisUrl === null ? {} : { TESSERA_REDIS_URL: redisUrl, TESSERA_REDIS_PREFIX: prefix }),
    ...options.env,
  };
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  const servers: SpawnedServer[] = [];
  const starting = new Set<Promise<unknown>>();
  return {
    schema,
    prefix,
    env,
    pool,
    servers,
    async start(extraEnv = {}) {
      const started = spawnServer({ env: { ...env, ...extraEnv }, logLevel: env.TESSERA_LOG_LEVEL! });
      starting.add(started);
      try {
        const s = await started;
        servers.push(s);
        return s;
      } finally {
        starting.delete(started);
      }
    },
    async cleanUp() {
      await Promise.allSettled([...starting]);
      await Promise.all(servers.map((s) => s.stop()));
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await pool.end().catch(() => {});
      }
      if (redisUrl !== null && redisUrl === REDIS_URL) await deleteSharedKeys(prefix);
    },
  };
}

/** Deletes the keys under `prefix` on the shared Redis, one SCAN batch at a time (never FLUSH). */
async function deleteSharedKeys(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** Milliseconds as "12.3". */
export const ms = (n: number): string => n.toFixed(1);

/**
 * The two modes compared over HTTP on this machine: what `tessera bench` prints and what
 * `POST /admin/bench` (run in a child process, see short-bench.ts) answers. The server runs in
 * the calling process (`buildServer` on a throwaway SQLite directory, never the configured
 * store, on 127.0.0.1 and a free port); one account signs in once in each mode; then
 * autocannon, its connections in a worker thread so that they do not share the server's event
 * loop, loads `GET /auth/me` with the session cookie, then with the bearer access token, each
 * after an unmeasured warm-up. Per mode: requests per second, mean, p50 and p99 latency, and the bytes the credential adds to every
 * request.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.js';

/** How long and how hard to load each mode. */
export interface MeasureModesOptions {
  durationSeconds: number;
  connections: number;
  /** Unmeasured load just before each mode's measurement, so neither mode meets a cold JIT. */
  warmupSeconds: number;
  /** The environment whose tuning variables apply (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** An empty directory for the throwaway database, left to the caller to remove; default a new temporary one, removed afterwards. */
  dataDir?: string;
}

/** The load of one mode. */
export interface ModeResult {
  mode: 'session' | 'jwt';
  requestsPerSecond: number;
  /**
   * Mean latency in milliseconds: connections ÷ requests per second. Each connection has one
   * request in flight at a time, so this is the mean time one request took (the load
   * generator's own work between requests included), to a fraction of a millisecond.
   */
  meanMs: number;
  /** Median latency, in whole milliseconds (autocannon's resolution): 0 means under 1 ms. */
  p50Ms: number;
  /** 99th percentile latency, in whole milliseconds, as `p50Ms`. */
  p99Ms: number;
  requests: number;
  /** Non-2xx responses, socket errors and timeouts. */
  errors: number;
  /** The credential's header line (`cookie: …` / `authorization: Bearer …`) in bytes. */
  credentialBytes: number;
}

/** What one comparison measured: `tessera bench --json` prints exactly this. */
export interface ModesReport {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  endpoint: 'GET /auth/me';
  results: ModeResult[];
}

/** The part of autocannon's result used here (the package ships no types). */
interface AutocannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

/**
 * Loads `url` with autocannon. `workers: 1` runs its connections in a worker thread, so the
 * load generator does not share the event loop of the server it measures.
 */
async function runLoad(url: string, headers: Record<string, string>, options: MeasureModesOptions) {
  const { durationSeconds, warmupSeconds, connections } = options;
  // autocannon is CommonJS and untyped: required, then typed by the interface above.
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const r = await autocannon({
    url, headers, duration: durationSeconds, connections, timeout: 10, workers: 1,
    ...(warmupSeconds > 0 ? { warmup: { duration: warmupSeconds, connections } } : {}),
  });
  const requestsPerSecond = r.requests.average;
  return {
    requestsPerSecond,
    meanMs: requestsPerSecond > 0 ? (connections * 1000) / requestsPerSecond : 0,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    errors: r.non2xx + r.errors + r.timeouts,
  };
}

/**
 * Variables the measurement never takes from the environment: the store and the address (it
 * runs on its own temporary SQLite database and a free port), mail (signing up would send a
 * verification mail; a required verification would refuse the sign-in) and the secrets of the
 * admin API and the revocation feed (the throwaway server needs neither).
 */
export const BENCH_IGNORED_ENV: readonly string[] = Object.freeze([
  'PORT', 'HOST', 'TESSERA_DATA_DIR', 'TESSERA_DATABASE_URL', 'TESSERA_DATABASE_SCHEMA', 'TESSERA_REDIS_URL', 'TESSERA_REDIS_PREFIX',
  'TESSERA_ISSUER', 'TESSERA_AUDIENCE', 'TESSERA_SMTP_URL', 'TESSERA_MAIL_FROM', 'TESSERA_REQUIRE_VERIFIED_EMAIL', 'TESSERA_DEV_OUTBOX_HTTP',
  'TESSERA_ADMIN_KEYS', 'TESSERA_SERVICE_KEYS',
]);

/**
 * Measures session mode, then JWT mode, over HTTP on this machine. Throws when the throwaway
 * server does not accept a credential it has just issued (that would measure 401s).
 *
 * @example
 * ```ts
 * const report = await measureModes({ durationSeconds: 2, warmupSeconds: 1, connections: 4 });
 * report.results.map((r) => `${r.mode}: ${r.requestsPerSecond} req/s`);
 * ```
 */
export async function measureModes(options: MeasureModesOptions): Promise<ModesReport> {
  const { durationSeconds, warmupSeconds, connections } = options;
  const env: Record<string, string | undefined> = { ...(options.env ?? process.env) };
  for (const name of BENCH_IGNORED_ENV) delete env[name];
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  try {
    const config = loadConfig(['--data-dir', dataDir], {
      ...env,
      TESSERA_LOG_LEVEL: 'silent',
      // The access token must outlive the run.
      TESSERA_ACCESS_TOKEN_TTL: String(Math.max(900, 2 * (warmupSeconds + durationSeconds) + 120)),
    });
    const { buildServer } = await import('./app.js');
    const server = await buildServer(config);
    try {
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = server.app.server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}/auth/me`;
      const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
      const password = randomBytes(48).toString('base64url');
      const client = { ip: '127.0.0.1', userAgent: 'tessera bench' };
      await server.auth.register({ email, password });
      const session = await server.auth.signIn({ email, password, mode: 'session' }, client);
      const jwt = await server.auth.signIn({ email, password, mode: 'jwt' }, client);
      if (session.mode !== 'session' || jwt.mode !== 'jwt') throw new Error('sign-in returned the wrong mode');
      const modes = [
        { mode: 'session', header: 'cookie', value: `${server.auth.cookieNames.session}=${session.sessionToken}` },
        { mode: 'jwt', header: 'authorization', value: `Bearer ${jwt.accessToken}` },
      ] as const;
      const results: ModeResult[] = [];
      for (const m of modes) {
        // One request first: a credential the server refuses would measure 401s.
        const check = await fetch(url, { headers: { [m.header]: m.value } });
        await check.arrayBuffer();
        if (check.status !== 200) throw new Error(`GET /auth/me in ${m.mode} mode answered ${check.status}, not 200`);
        const load = await runLoad(url, { [m.header]: m.value }, options);
        // What the credential adds to each request: its header line ("Cookie: …" / "Authorization: …").
        results.push({ mode: m.mode, ...load, credentialBytes: Buffer.byteLength(`${m.header}: ${m.value}`) });
      }
      return { durationSeconds, warmupSeconds, connections, endpoint: 'GET /auth/me', results };
    } finally {
      await server.close();
    }
  } finally {
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

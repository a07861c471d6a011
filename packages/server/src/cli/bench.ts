/**
 * `tessera bench`: the two modes compared over HTTP on the user's machine. The server runs in
 * this process (`buildServer` on a throwaway SQLite directory, never the configured store, on
 * 127.0.0.1 and a free port); one account signs in once in each mode; then autocannon, its
 * connections in a worker thread so that they do not share the server's event loop, loads
 * `GET /auth/me` with the session cookie, then with the bearer access token. Per mode:
 * requests per second, p50 and p99 latency, and the bytes the credential adds to every request.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { integerFlag, parseCommand } from './args.js';
import { CliError, EXIT, printJson, printLines, printTable } from './output.js';

const USAGE = `Usage: tessera bench [--duration S] [--connections N] [--json]

Compares session mode and JWT mode over HTTP on this machine: starts the server in-process
on a temporary SQLite database (never the configured store), signs in once in each mode, and
loads GET /auth/me with autocannon, first with the session cookie, then with the bearer access
token. Prints, per mode: requests per second, p50 and p99 latency, and the bytes of the
credential header carried by every request. TESSERA_JWT_ALG and the other tuning variables
apply; the store variables are ignored.

  --duration S         seconds of load per mode (default 5, 1 to 600)
  --connections N      concurrent connections (default 10, 1 to 1000)
  --json               print {"durationSeconds","connections","results":[{mode,
                       requestsPerSecond, p50Ms, p99Ms, credentialBytes, requests, errors}]}`;

/** The load of one mode. */
interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx responses, socket errors and timeouts. */
  errors: number;
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
async function runLoad(url: string, headers: Record<string, string>, durationSeconds: number, connections: number): Promise<LoadResult> {
  // autocannon is CommonJS and untyped: required, then typed by the interface above.
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const r = await autocannon({ url, headers, duration: durationSeconds, connections, timeout: 10, workers: 1 });
  return {
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    errors: r.non2xx + r.errors + r.timeouts,
  };
}

/** The variables that choose a store or an address: the bench never uses the configured ones. */
const IGNORED_ENV = ['PORT', 'HOST', 'TESSERA_DATA_DIR', 'TESSERA_DATABASE_URL', 'TESSERA_REDIS_URL', 'TESSERA_ISSUER', 'TESSERA_AUDIENCE'];

/** `tessera bench`. */
export async function runBench(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { name: 'bench', usage: USAGE, options: { duration: { type: 'string' }, connections: { type: 'string' } } });
  if (!parsed) return EXIT.ok;
  const durationSeconds = integerFlag(parsed.values, 'duration', 1, 600) ?? 5;
  const connections = integerFlag(parsed.values, 'connections', 1, 1000) ?? 10;

  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of IGNORED_ENV) delete env[name];
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const config = loadConfig(['--data-dir', dataDir], {
    ...env,
    TESSERA_LOG_LEVEL: 'silent',
    // The access token must outlive the run.
    TESSERA_ACCESS_TOKEN_TTL: String(Math.max(900, durationSeconds + 120)),
  });
  const { buildServer } = await import('../app.js');
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
    if (session.mode !== 'session' || jwt.mode !== 'jwt') throw new CliError(EXIT.failure, 'sign-in returned the wrong mode');
    const modes = [
      { mode: 'session', header: 'cookie', value: `${server.auth.cookieNames.session}=${session.sessionToken}` },
      { mode: 'jwt', header: 'authorization', value: `Bearer ${jwt.accessToken}` },
    ];
    const results = [];
    for (const m of modes) {
      // One request first: a credential the server refuses would measure 401s.
      const check = await fetch(url, { headers: { [m.header]: m.value } });
      await check.arrayBuffer();
      if (check.status !== 200) throw new CliError(EXIT.failure, `GET /auth/me in ${m.mode} mode answered ${check.status}, not 200`);
      const load = await runLoad(url, { [m.header]: m.value }, durationSeconds, connections);
      // What the credential adds to each request: its header line ("Cookie: …" / "Authorization: …").
      results.push({ mode: m.mode, ...load, credentialBytes: Buffer.byteLength(`${m.header}: ${m.value}`) });
    }
    if (parsed.json) printJson({ durationSeconds, connections, endpoint: 'GET /auth/me', results });
    else {
      printLines(`GET /auth/me, ${connections} connection${connections === 1 ? '' : 's'}, ${durationSeconds} s per mode (server and load generator on this machine):`, '');
      printTable(results, [
        { header: 'MODE', value: (r) => r.mode },
        { header: 'REQ/S', value: (r) => r.requestsPerSecond.toFixed(0), right: true },
        { header: 'P50 MS', value: (r) => r.p50Ms.toFixed(2), right: true },
        { header: 'P99 MS', value: (r) => r.p99Ms.toFixed(2), right: true },
        { header: 'CREDENTIAL BYTES', value: (r) => String(r.credentialBytes), right: true },
        { header: 'ERRORS', value: (r) => String(r.errors), right: true },
      ]);
    }
    return results.some((r) => r.requests === 0) ? EXIT.failure : EXIT.ok;
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

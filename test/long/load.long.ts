/**
 * Load suite (`npm run test:long`): the real server (`dist/cli.js serve`, real argon2, SQLite
 * on disk) under 60 s of high concurrency against GET /auth/me in each mode (session cookie,
 * then bearer access token), each with a stream of sign-ins (both modes) running alongside.
 *
 * Holds: zero errors (every /auth/me answer 200, every sign-in 200, no socket error, no
 * timeout); flat memory (RSS at the end of each run within 10% of the RSS after the warm-up,
 * read from /proc/<pid>/status); the event-loop delay p99 reported from the server's own
 * /metrics (`tessera_nodejs_eventloop_lag_p99_seconds`, prom-client's default metrics).
 *
 * `TESSERA_LOAD_SECONDS` (default 60) and `TESSERA_LOAD_CONNECTIONS` (default 100) change
 * the runs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { cleanUpServers, fetchCookies, postJson, spawnServer } from '../../packages/server/test/robustness/spawn-server.js';
import type { SpawnedServer } from '../../packages/server/test/robustness/spawn-server.js';

const SECONDS = Number(process.env.TESSERA_LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.TESSERA_LOAD_CONNECTIONS ?? 100);
const WARMUP_SECONDS = 10;
const SIGN_IN_STREAM_CONCURRENCY = 2;
const PASSWORD = 'load suite password, long enough';
const SESSION_COOKIE = '__Host-tessera_session';

/** The part of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
  statusCodeStats?: Record<string, { count: number }>;
}
type Autocannon = (options: { url: string; connections: number; duration: number; headers?: Record<string, string>; pipelining?: number }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

let s: SpawnedServer;
let sessionCookie: string;
let accessToken: string;
let email: string;

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]);
}

async function eventLoopP99Seconds(): Promise<number> {
  const text = await (await s.fetch('/metrics')).text();
  const m = /^tessera_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
  assert.ok(m, 'tessera_nodejs_eventloop_lag_p99_seconds is in /metrics');
  return Number(m[1]);
}

/** Sign-ins, alternating modes, `concurrency` at a time, until `stop` is set. */
function signInStream(stop: { done: boolean }, concurrency: number): Promise<{ ok: number; other: Record<string, number>; ms: number[] }> {
  const result = { ok: 0, other: {} as Record<string, number>, ms: [] as number[] };
  let n = 0;
  const worker = async () => {
    while (!stop.done) {
      const mode = n++ % 2 === 0 ? 'session' : 'jwt';
      const started = performance.now();
      try {
        const res = await postJson(s, '/auth/login', { email, password: PASSWORD, mode });
        await res.arrayBuffer();
        result.ms.push(performance.now() - started);
        if (res.status === 200) result.ok++;
        else result.other[res.status] = (result.other[res.status] ?? 0) + 1;
      } catch (error) {
        const key = `error ${(error as Error).message}`;
        result.other[key] = (result.other[key] ?? 0) + 1;
      }
    }
  };
  return Promise.all(Array.from({ length: concurrency }, worker)).then(() => result);
}

before(async () => {
  s = await spawnServer();
  email = `load-${Date.now()}@example.com`;
  assert.equal((await postJson(s, '/auth/register', { email, password: PASSWORD })).status, 201);
  const session = await postJson(s, '/auth/login', { email, password: PASSWORD, mode: 'session' });
  assert.equal(session.status, 200);
  sessionCookie = `${SESSION_COOKIE}=${fetchCookies(session)[SESSION_COOKIE]}`;
  const jwt = await postJson(s, '/auth/login', { email, password: PASSWORD, mode: 'jwt' });
  accessToken = ((await jwt.json()) as { accessToken: string }).accessToken;
});

after(cleanUpServers);

const results: string[] = [];

for (const mode of ['session', 'jwt'] as const) {
  test(`${SECONDS} s of ${CONNECTIONS} connections on GET /auth/me (${mode} mode) with a stream of sign-ins: zero errors, flat memory`, async (t) => {
    const headers: Record<string, string> = mode === 'session' ? { cookie: sessionCookie } : { authorization: `Bearer ${accessToken}` };
    const url = `${s.baseUrl}/auth/me`;
    // Warm-up: JIT, caches, pools, the sign-in path.
    const warmStop = { done: false };
    const warmStream = signInStream(warmStop, SIGN_IN_STREAM_CONCURRENCY);
    const warm = await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_SECONDS, headers });
    warmStop.done = true;
    await warmStream;
    assert.equal(warm.non2xx + warm.errors + warm.timeouts, 0, `warm-up: ${warm.non2xx} non-2xx, ${warm.errors} errors, ${warm.timeouts} timeouts`);
    const rssAfterWarmup = rssKiB(s.pid);

    const stop = { done: false };
    const stream = signInStream(stop, SIGN_IN_STREAM_CONCURRENCY);
    let lagMax = 0;
    const rssSamples: number[] = [];
    const sampler = setInterval(() => {
      rssSamples.push(rssKiB(s.pid));
      eventLoopP99Seconds().then((v) => { lagMax = Math.max(lagMax, v); }, () => {});
    }, 5000);
    const run = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
    clearInterval(sampler);
    stop.done = true;
    const signIns = await stream;
    const rssEnd = rssKiB(s.pid);
    const lagEnd = await eventLoopP99Seconds();
    lagMax = Math.max(lagMax, lagEnd);
    const drift = (rssEnd - rssAfterWarmup) / rssAfterWarmup;
    const signInMs = signIns.ms.sort((a, b) => a - b);
    const report = `${mode}: ${run.requests.total.toLocaleString('en')} requests in ${SECONDS} s (${Math.round(run.requests.average).toLocaleString('en')} req/s), latency p50 ${run.latency.p50} ms, p99 ${run.latency.p99} ms, max ${run.latency.max} ms; `
      + `${run.non2xx} non-2xx, ${run.errors} errors, ${run.timeouts} timeouts; sign-ins alongside: ${signIns.ok} ok (p50 ${signInMs[Math.floor(signInMs.length / 2)]?.toFixed(0)} ms, p99 ${signInMs[Math.floor(signInMs.length * 0.99)]?.toFixed(0)} ms), other ${JSON.stringify(signIns.other)}; `
      + `RSS after warm-up ${(rssAfterWarmup / 1024).toFixed(1)} MiB, end ${(rssEnd / 1024).toFixed(1)} MiB (${(drift * 100).toFixed(1)}%), max during ${(Math.max(...rssSamples, rssEnd) / 1024).toFixed(1)} MiB; `
      + `event-loop delay p99 ${(lagEnd * 1000).toFixed(1)} ms at the end, ${(lagMax * 1000).toFixed(1)} ms max over the run`;
    t.diagnostic(report);
    console.log(report);
    results.push(report);
    assert.equal(run.non2xx, 0, 'non-2xx answers');
    assert.equal(run.errors, 0, 'socket errors');
    assert.equal(run.timeouts, 0, 'timeouts');
    assert.ok(signIns.ok > 0, 'the sign-in stream made progress');
    assert.deepEqual(signIns.other, {}, 'every sign-in answered 200');
    assert.ok(Math.abs(drift) <= 0.10, `RSS drifted ${(drift * 100).toFixed(1)}% (${rssAfterWarmup} → ${rssEnd} KiB)`);
  });
}

test('machine', (t) => {
  const line = `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`;
  t.diagnostic(line);
  console.log(line);
});

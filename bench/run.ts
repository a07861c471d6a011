import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { parseBenchArgs } from './lib/args.js';
import { canPin, interrupted } from './lib/children.js';
import { generatorName } from './lib/load.js';
import { machineInfo } from './lib/machine.js';
import type { BenchResults } from './lib/results.js';
import { FULL_TIMING, SMOKE_TIMING } from './lib/timing.js';
import { runArgon2Benchmark } from './micro/argon2.js';
import { runJwtBenchmarks } from './micro/jwt.js';
import { runScaleBenchmark } from './micro/scale.js';
import { runSessionBenchmarks } from './micro/sessions.js';
import { DATABASE_URL, REDIS_URL, RUN_PREFIX, deleteRedisKeys, postgresReachable, tempDir } from './micro/stores.js';
import { runLoginBenchmarks } from './http/logins.js';
import { runRounds } from './http/rounds.js';
import { setupScenarios } from './http/scenarios.js';
import type { Scenario } from './http/scenarios.js';
import { setupLibraryRedis, setupPgHook, setupTesseraRedis } from './http/tessera-redis.js';
import { logout } from './http/tessera.js';
import { writeReport } from './report.js';

/**
 * `npm run bench`: micro benchmarks, then HTTP benchmarks, then the report.
 * Flags: --smoke, --only micro|http, --duration S, --warmup S, --rounds N, --connections N, --out DIR.
 */

const started = Date.now();
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
// The smoke output dir is kept (CI may upload it); every other temp dir goes at exit.
const args = parseBenchArgs(process.argv.slice(2), repoRoot, () => mkdtempSync(join(tmpdir(), 'tessera-bench-out-')));
const log = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const pin = canPin();
const serverCore = pin ? 0 : undefined;
const loadCore = pin ? 1 : undefined;
const machine = machineInfo();
const smoke = args.smoke;
const distinctTokens = smoke ? 12_000 : 50_000;
let failed = false;

async function redisReachable(): Promise<Redis | null> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch {
    client.disconnect();
    return null;
  }
}

if (args.only !== 'micro' && !existsSync(`${repoRoot}/packages/server/dist/cli.js`)) {
  console.error('bench: packages/server/dist/cli.js is missing: run `npm run build` first.');
  process.exit(2);
}

log(`Tessera benchmarks${smoke ? ' (smoke)' : ''}: ${machine.nproc} cores, ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAverage.join(' ')}`);
log(`argon2id (OWASP defaults)…`);
const argon2 = await runArgon2Benchmark(smoke ? 2 : 10, machine.nproc);
log(`  ${argon2.cpuMsPerHash.toFixed(1)} ms CPU per hash → ceiling ${argon2.ceilingLoginsPerSecond.toFixed(0)} logins/s on ${argon2.cores} cores; ${argon2.concurrentHashesPerSecond.toFixed(0)} hashes/s with ${argon2.cores} at once`);

const results: BenchResults = {
  machine,
  smoke,
  settings: {
    generator: args.only === 'micro' ? null : generatorName(),
    pinned: pin,
    durationS: args.durationS,
    warmupS: args.warmupS,
    rounds: args.rounds,
    connections: args.connections,
    distinctTokens,
  },
  argon2,
};

if (args.only !== 'http') {
  const plan = smoke ? SMOKE_TIMING : FULL_TIMING;
  log('JWT sign/verify per algorithm…');
  const jwt = await runJwtBenchmarks(plan, log);
  log('Session validation per store…');
  const sessions = await runSessionBenchmarks(plan, smoke ? 50 : 1000, log);
  log('Scale (SQLite)…');
  let scale: NonNullable<BenchResults['micro']>['scale'];
  try {
    scale = await runScaleBenchmark(plan, smoke ? 1_000 : 10_000, smoke ? 20_000 : 1_000_000, log);
  } catch (error) {
    scale = { error: errorText(error) };
    log(`  failed: ${scale.error}`);
    failed = true;
  }
  results.micro = { jwt, sessions, scale };
}

if (args.only !== 'micro') {
  const redis = await redisReachable();
  const workDir = tempDir('http');
  log(`HTTP: generator ${generatorName()}, ${pin ? 'server on core 0, generator on core 1' : 'not pinned'}, Redis ${redis ? 'reachable' : 'not reachable'}`);
  const http: NonNullable<BenchResults['http']> = { scenarios: [], revocationStatus: null, logins: { error: 'not run' } };
  results.http = http;
  try {
    const set = await setupScenarios({ core: serverCore, tokenCount: distinctTokens, workDir, redisUrl: redis ? REDIS_URL : null, redisPrefix: RUN_PREFIX });
    log('  servers ready');
    const reportBroken = (scenarios: Scenario[]): void => {
      for (const s of scenarios) {
        if (s.skipped !== undefined) log(`  skipped ${s.label}: ${s.skipped}`);
        if (s.error !== undefined) {
          log(`  ERROR ${s.label}: ${s.error}`);
          failed = true;
        }
      }
    };
    try {
      reportBroken(set.scenarios);
      http.scenarios = await runRounds(set.scenarios, { ...args, loadCore }, () => set.beforeRound(), log);
      // Revocation at once: log out with the seen-before token, then send it again.
      const seen = set.seenToken();
      const loggedOut = await logout(set.tessera.url, seen);
      if (loggedOut === 204) {
        http.revocationStatus = (await fetch(`${set.tessera.url}/auth/me`, { headers: { authorization: `Bearer ${seen}` } })).status;
      }
      log(`  revocation: logout ${loggedOut}, then the same token → ${http.revocationStatus ?? 'not checked'}`);
      // The Redis rows in a phase of their own, with bare Fastify measured again for their
      // ratios: six idle Redis-mode instances pinned to the server core raised the SQLite
      // server's CPU per seen-token request by ~15 % while using ~1 % of the core themselves.
      log('HTTP, Redis × 3 instances (and PostgreSQL)…');
      // With PostgreSQL too (users, keys, audit log), as the spec's scale-out deployment has
      // it, beside the floor of its per-request read.
      const databaseUrl = (await postgresReachable(DATABASE_URL)) ? DATABASE_URL : null;
      const cluster = await setupTesseraRedis(serverCore, redis ? REDIS_URL : null);
      const cachedCluster = await setupTesseraRedis(serverCore, redis ? REDIS_URL : null, { sessionCacheSeconds: 1 });
      const pgCluster = await setupTesseraRedis(serverCore, redis ? REDIS_URL : null, { databaseUrl });
      const libraryRedis = await setupLibraryRedis(serverCore, redis ? REDIS_URL : null, set.body);
      const pgHook = await setupPgHook(serverCore, databaseUrl, set.body);
      const phaseServers = [cluster, cachedCluster, pgCluster, libraryRedis, pgHook];
      try {
        const bare = set.scenarios.filter((s) => s.id === 'bare');
        const redisRows = phaseServers.map((p) => p.scenario);
        reportBroken(redisRows);
        // No re-minting between these rounds: the Redis rows send cookies, not tokens.
        const phase = await runRounds([...bare, ...redisRows], { ...args, loadCore }, () => {}, log);
        http.scenarios.push(...phase.filter((s) => s.id !== 'bare'));
        http.redisPhaseBare = phase.find((s) => s.id === 'bare') ?? null;
      } finally {
        await Promise.all(phaseServers.map((p) => p.stop()));
      }
    } finally {
      await set.stopAll();
    }
    log('Sign-ins…');
    try {
      http.logins = await runLoginBenchmarks({ warmup: !smoke, durationS: smoke ? 1 : Math.max(3, args.durationS), concurrency: 4 * machine.nproc, storm: 200, pacedRate: smoke ? 100 : 500, rounds: smoke ? 1 : Math.max(3, args.rounds) }, log);
    } catch (error) {
      http.logins = { error: errorText(error) };
      log(`  failed: ${errorText(error)}`);
      failed = true;
    }
  } catch (error) {
    log(`HTTP benchmarks failed: ${errorText(error)}`);
    failed = true;
  } finally {
    if (redis) {
      await deleteRedisKeys(redis, RUN_PREFIX).catch(() => 0);
      redis.disconnect();
    }
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (interrupted()) {
  log('Interrupted: no report written.');
  process.exit(130);
}
const written = writeReport(results, args.docsDir, args.resultsDir);
log('\nIssue 4 targets:');
for (const t of written.targets) log(`  [${t.status}] ${t.target}: ${t.measured}`);
log(`\nWrote ${written.markdown}, ${written.svg}, ${written.json} in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
process.exit(failed ? 1 : 0);

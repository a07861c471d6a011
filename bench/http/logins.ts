import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLoad } from '../lib/load.js';
import type { LoadResult } from '../lib/load.js';
import { median } from '../lib/timing.js';
import { tempDir } from '../micro/stores.js';
import { BENCH_PASSWORD, signInBoth, startTessera } from './tessera.js';

/**
 * Password sign-ins on the real server, unpinned (hashing is meant to use every core):
 * logins/s with `concurrency` sign-ins in flight, then the login storm: the p99 of
 * `GET /auth/me` (session cookie, paced) while `storm` concurrent sign-ins hammer the
 * server, against its p99 at the same pace without the storm. The storm signs in
 * 2 × `storm` distinct accounts in turn (many people at once, as after an outage), not one
 * account from one address, which the per-account throttle would mostly answer with 429.
 * Idle and storm measurements alternate for `rounds` pairs and the medians are compared: a
 * p99 of a few seconds of paced requests is the noisiest figure of the suite.
 */

export interface LoginResult {
  concurrency: number;
  loginsPerSecond: number;
  loginFailureRate: number;
  storm: number;
  /** Paced /auth/me requests per second during both measurements. */
  pacedRate: number;
  /** Medians over the rounds; each round's figures follow. */
  idleP99Ms: number;
  stormP99Ms: number;
  idleP99sMs: number[];
  stormP99sMs: number[];
  /** Sign-ins refused (queue full: 503) or failed during the storm, share of all. */
  stormRefusedRate: number;
}

export interface LoginPlan {
  warmup: boolean;
  durationS: number;
  concurrency: number;
  storm: number;
  pacedRate: number;
  /** Idle/storm pairs of the p99 measurement. */
  rounds: number;
}

const okPerSecond = (r: LoadResult): number => (r.rps * (r.requests - r.failures)) / Math.max(1, r.requests);

/** Registers `n` accounts (a few at a time: each costs a hash), returning their emails. */
async function registerAccounts(url: string, n: number): Promise<string[]> {
  const emails = Array.from({ length: n }, () => `storm-${randomBytes(6).toString('hex')}@example.com`);
  for (let i = 0; i < n; i += 8) {
    await Promise.all(emails.slice(i, i + 8).map(async (email) => {
      const r = await fetch(`${url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: BENCH_PASSWORD }) });
      if (r.status !== 201) throw new Error(`register for the storm: ${r.status} ${await r.text()}`);
    }));
  }
  return emails;
}

export async function runLoginBenchmarks(plan: LoginPlan, log: (line: string) => void): Promise<LoginResult> {
  const server = await startTessera();
  const stormDir = tempDir('storm');
  try {
    const signedIn = await signInBoth(server.url);
    const login = {
      url: `${server.url}/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: signedIn.email, password: BENCH_PASSWORD, mode: 'session' }),
    };
    if (plan.warmup) await runLoad({ ...login, durationS: 1, connections: plan.concurrency });
    const throughput = await runLoad({ ...login, durationS: plan.durationS, connections: plan.concurrency });
    const loginsPerSecond = okPerSecond(throughput);
    log(`  ${plan.concurrency} concurrent sign-ins: ${loginsPerSecond.toFixed(0)} logins/s (p99 ${throughput.p99Ms.toFixed(0)} ms)`);

    const me = { url: `${server.url}/auth/me`, headers: { cookie: signedIn.sessionCookie }, connections: 8, rate: plan.pacedRate, durationS: plan.durationS };
    const bodiesFile = join(stormDir, 'sign-ins.txt');
    writeFileSync(bodiesFile, `${(await registerAccounts(server.url, 2 * plan.storm)).map((email) => JSON.stringify({ email, password: BENCH_PASSWORD, mode: 'session' })).join('\n')}\n`);
    const idleP99sMs: number[] = [];
    const stormP99sMs: number[] = [];
    let stormRequests = 0;
    let stormFailures = 0;
    let stormRps = 0;
    for (let round = 0; round < plan.rounds; round++) {
      idleP99sMs.push((await runLoad(me)).p99Ms);
      const [stormRun, during] = await Promise.all([
        runLoad({ ...login, bodiesFile, durationS: plan.durationS + 1, connections: plan.storm }),
        new Promise((resolve) => setTimeout(resolve, 500)).then(() => runLoad(me)),
      ]);
      stormP99sMs.push(during.p99Ms);
      stormRequests += stormRun.requests;
      stormFailures += stormRun.failures;
      stormRps += stormRun.rps / plan.rounds;
    }
    const result: LoginResult = {
      concurrency: plan.concurrency,
      loginsPerSecond,
      loginFailureRate: throughput.failures / Math.max(1, throughput.requests),
      storm: plan.storm,
      pacedRate: plan.pacedRate,
      idleP99Ms: median(idleP99sMs),
      stormP99Ms: median(stormP99sMs),
      idleP99sMs,
      stormP99sMs,
      stormRefusedRate: stormFailures / Math.max(1, stormRequests),
    };
    const each = (values: number[]): string => values.map((v) => v.toFixed(0)).join(', ');
    log(`  /auth/me p99 at ${plan.pacedRate} req/s, median of ${plan.rounds}: ${result.idleP99Ms.toFixed(2)} ms idle (${each(idleP99sMs)}), ${result.stormP99Ms.toFixed(2)} ms during ${plan.storm} concurrent sign-ins of ${2 * plan.storm} accounts (${each(stormP99sMs)}; ${stormRps.toFixed(0)} sign-ins/s, ${(result.stormRefusedRate * 100).toFixed(0)}% refused)`);
    return result;
  } finally {
    await server.stop();
    rmSync(stormDir, { recursive: true, force: true });
  }
}

import { runLoad } from '../lib/load.js';
import type { LoadResult } from '../lib/load.js';
import { BENCH_PASSWORD, signInBoth, startTessera } from './tessera.js';

/**
 * Password sign-ins on the real server, unpinned (hashing is meant to use every core):
 * logins/s with `concurrency` sign-ins in flight, then the login storm: the p99 of
 * `GET /auth/me` (session cookie, paced) while `storm` concurrent sign-ins hammer the
 * server, against its p99 at the same pace without the storm.
 */

export interface LoginResult {
  concurrency: number;
  loginsPerSecond: number;
  loginFailureRate: number;
  storm: number;
  /** Paced /auth/me requests per second during both measurements. */
  pacedRate: number;
  idleP99Ms: number;
  stormP99Ms: number;
  /** Sign-ins refused (queue full: 503) or failed during the storm, share of all. */
  stormRefusedRate: number;
}

export interface LoginPlan {
  warmup: boolean;
  durationS: number;
  concurrency: number;
  storm: number;
  pacedRate: number;
}

const okPerSecond = (r: LoadResult): number => (r.rps * (r.requests - r.failures)) / Math.max(1, r.requests);

export async function runLoginBenchmarks(plan: LoginPlan, log: (line: string) => void): Promise<LoginResult> {
  const server = await startTessera();
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
    const idle = await runLoad(me);
    const [stormRun, during] = await Promise.all([
      runLoad({ ...login, durationS: plan.durationS + 1, connections: plan.storm }),
      new Promise((resolve) => setTimeout(resolve, 500)).then(() => runLoad(me)),
    ]);
    const result: LoginResult = {
      concurrency: plan.concurrency,
      loginsPerSecond,
      loginFailureRate: throughput.failures / Math.max(1, throughput.requests),
      storm: plan.storm,
      pacedRate: plan.pacedRate,
      idleP99Ms: idle.p99Ms,
      stormP99Ms: during.p99Ms,
      stormRefusedRate: stormRun.failures / Math.max(1, stormRun.requests),
    };
    log(`  /auth/me p99 at ${plan.pacedRate} req/s: ${idle.p99Ms.toFixed(2)} ms idle, ${during.p99Ms.toFixed(2)} ms during ${plan.storm} concurrent sign-ins (${(result.stormRefusedRate * 100).toFixed(0)}% of them refused)`);
    return result;
  } finally {
    await server.stop();
  }
}

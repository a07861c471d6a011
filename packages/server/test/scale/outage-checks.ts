/**
 * Load and assertions shared by the outage tests (Redis and PostgreSQL): loops of cookie and
 * token `/auth/me`, sign-ins and `/readyz` on every instance; what "fails closed, fast" means
 * for the requests of an outage window; and recovery without restarting Tessera.
 */
import assert from 'node:assert/strict';
import type { SpawnedServer } from '../robustness/spawn-server.js';
import type { Credential, Reply } from './harness.js';
import { call, me, ms, PASSWORD, pollUntil } from './harness.js';
import type { Load, Sample } from './load.js';
import { startLoad } from './load.js';

/** 503 within this long: the spec's bound, asserted as it stands (the measured maximum is reported). */
export const BOUND_MS = 500;
/** Back within this long of the store's return, without restarting Tessera. */
export const RECOVERY_MS = 5000;
/**
 * Session cookies are checked against the store on every request (TESSERA_SESSION_CACHE is 0
 * by default), so none of them gets a 200 once an outage has begun. The one copy the server
 * keeps by default is the user record behind an access token on `/auth/me`: display data of
 * a token verified on every request, at most one second old (the library's user cache). For
 * that long into a PostgreSQL outage, `/auth/me` with a token seen just before may still get
 * 200. Plus 100 ms of slack between the clocks of two processes.
 */
export const CACHE_MS = 1100;

export const login = (s: SpawnedServer, email: string): Promise<Reply> =>
  call(s.baseUrl, 'POST', '/auth/login', { json: { email, password: PASSWORD }, timeoutMs: 10_000 });

/** Cookie and token `/auth/me`, sign-ins and /readyz on every instance, in loops. */
export function outageLoad(servers: SpawnedServer[], email: string, cookie: Credential, token: Credential, extra: Array<{ label: string; send: () => Promise<Reply> }> = []): Load {
  return startLoad(servers.flatMap((s) => [
    { label: 'cookie', send: () => me(s.baseUrl, cookie) },
    { label: 'jwt', send: () => me(s.baseUrl, token) },
    { label: 'sign-in', send: () => login(s, email) },
    { label: 'readyz', send: () => call(s.baseUrl, 'GET', '/readyz') },
  ]).concat(extra), 10);
}

/** Requests that started at or after `from` and were answered by `to`. */
export const within = (samples: Sample[], from: number, to: number, label?: string): Sample[] =>
  samples.filter((s) => s.at >= from && s.at + s.ms <= to && (label === undefined || s.label === label));

/** No network error, no client timeout, no 5xx but 503 anywhere in the run; every instance alive. */
export function assertNoHangOrCrash(samples: Sample[], servers: SpawnedServer[]): void {
  const bad = samples.filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503));
  assert.deepEqual(bad.slice(0, 3), [], `${bad.length} requests failed, hung or got a 5xx other than 503`);
  assert.ok(servers.every((s) => s.alive()), 'an instance exited');
}

export interface OutageExpectation {
  /** Labels whose requests need the store: 503 with Retry-After within the bound. */
  refused: string[];
  /** Of those, the labels a cache may still answer with 200 for CACHE_MS; every other one gets no 200 from the outage's start. */
  cached: string[];
  /** Labels that need no store and must keep answering 200. */
  served: string[];
}

/**
 * The outage window [`from`, `to`]: what needs the store gets 503 with Retry-After within
 * BOUND_MS (cached credentials once CACHE_MS is over; never a 200 after that), what does not
 * keeps working. Returns the slowest 503 and how long into the outage a cache still answered.
 */
export function assertOutage(samples: Sample[], from: number, to: number, what: string, expect: OutageExpectation): { slowest: number; cachedFor: number } {
  // Answered 200 while the store was out (a request that straddles its return may be checked by it).
  const fromCache = samples.filter((s) => expect.cached.includes(s.label) && s.status === 200 && s.at + s.ms > from && s.at + s.ms <= to);
  const late = fromCache.filter((s) => s.at >= from + CACHE_MS);
  assert.deepEqual(late.slice(0, 3), [], `${what}: a credential was accepted ${CACHE_MS} ms into the outage, past its cache entry`);
  for (const label of expect.refused) {
    const affected = within(samples, expect.cached.includes(label) ? from + CACHE_MS : from, to, label);
    assert.ok(affected.length > 0, `${what}: no ${label} request during the outage`);
    const wrong = affected.filter((s) => s.status !== 503 || !/^[1-9][0-9]*$/.test(s.retryAfter ?? ''));
    assert.deepEqual(wrong.slice(0, 3), [], `${what}: ${label} requests not answered 503 with Retry-After`);
  }
  for (const label of expect.served) {
    const served = within(samples, from, to, label);
    assert.ok(served.length > 0 && served.every((s) => s.status === 200), `${what}: ${label} requests need no store and must keep working`);
  }
  const refused = within(samples, from, to).filter((s) => s.status === 503).map((s) => s.ms);
  const slowest = Math.max(...refused);
  assert.ok(slowest <= BOUND_MS, `${what}: a 503 took ${ms(slowest)} ms (bound ${BOUND_MS} ms)`);
  return { slowest, cachedFor: Math.max(0, ...fromCache.map((s) => s.at + s.ms - from)) };
}

/** ms from `since` until /readyz is 200 and a sign-in works on every instance (asserted ≤ RECOVERY_MS). */
export async function recovery(servers: SpawnedServer[], email: string, since: number, what: string): Promise<number> {
  const times = await Promise.all(servers.map(async (s) => {
    const ok = await pollUntil(async () => (await call(s.baseUrl, 'GET', '/readyz')).status === 200 && (await login(s, email)).status === 200, RECOVERY_MS + 2000, 20);
    assert.notEqual(ok, null, `${what}: not recovered`);
    return performance.now() - since;
  }));
  const worst = Math.max(...times);
  assert.ok(worst <= RECOVERY_MS, `${what}: recovered after ${ms(worst)} ms (bound ${RECOVERY_MS} ms)`);
  return worst;
}

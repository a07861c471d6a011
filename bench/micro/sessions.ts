import type { TimingPlan } from '../lib/timing.js';
import { timeAsync } from '../lib/timing.js';
import { NO_SESSION_CACHE, ONE_SECOND_SESSION_CACHE, assertAuthenticated, credentialHeaders, signedInTessera } from './fixtures.js';
import { memoryBench, postgresBench, redisBench, sqliteBench } from './stores.js';
import type { BenchStore, StoreName } from './stores.js';

/**
 * Session validation per store: `authenticate()` with a session cookie, with the opt-in
 * one-second session cache (a cookie checked again within it skips the store) and as
 * configured by default, the cache off (one store lookup, constant-time hash compare, expiry
 * and the revocation view on every check); and the bytes a store holds per session record,
 * measured on records created through the API.
 */

export interface StoreResult {
  store: StoreName;
  /** ns per authenticate() with the same cookie, one-second session cache, or null with `skipped`. */
  validateNs: number | null;
  /** ns per authenticate() with the defaults (session cache off): the store's lookup every time. */
  storeLookupNs: number | null;
  bytesPerSession: number | null;
  skipped?: string;
}

const STORES: Array<[StoreName, () => BenchStore | Promise<BenchStore>]> = [
  ['memory', memoryBench],
  ['sqlite', sqliteBench],
  ['redis', redisBench],
  ['postgres', postgresBench],
];

export async function runSessionBenchmarks(plan: TimingPlan, footprintSessions: number, log: (line: string) => void): Promise<StoreResult[]> {
  const results: StoreResult[] = [];
  for (const [name, open] of STORES) {
    let bench: BenchStore | undefined;
    try {
      bench = await open();
      const { auth, email } = await signedInTessera(bench.store, 'EdDSA', ONE_SECOND_SESSION_CACHE);
      const uncached = (await signedInTessera(bench.store, 'EdDSA', NO_SESSION_CACHE)).auth;
      try {
        const headers = await credentialHeaders(auth, email, 'session');
        await assertAuthenticated(auth, headers, `session on ${name}, one-second cache`);
        const validateNs = await timeAsync(() => auth.authenticate(headers), plan);
        await assertAuthenticated(uncached, headers, `session on ${name}, cache off`);
        const storeLookupNs = await timeAsync(() => uncached.authenticate(headers), plan);
        const before = await bench.sessionBytes();
        for (let i = 0; i < footprintSessions; i++) await credentialHeaders(auth, email, 'session');
        const after = await bench.sessionBytes();
        const bytesPerSession = before === null || after === null ? null : (after - before) / footprintSessions;
        results.push({ store: name, validateNs, storeLookupNs, bytesPerSession });
        log(`  ${name}: ${(storeLookupNs / 1000).toFixed(2)} µs per cookie check (${(validateNs / 1000).toFixed(2)} µs with a one-second session cache), ${bytesPerSession === null ? 'n/a' : bytesPerSession.toFixed(0)} bytes per session`);
      } finally {
        await auth.close();
        await uncached.close();
      }
    } catch (error) {
      const skipped = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      results.push({ store: name, validateNs: null, storeLookupNs: null, bytesPerSession: null, skipped });
      log(`  ${name}: skipped (${skipped})`);
    } finally {
      await bench?.cleanup().catch(() => {});
    }
  }
  return results;
}

import { createHash, randomBytes } from 'node:crypto';
import type { TimingPlan } from '../lib/timing.js';
import { timeAsync } from '../lib/timing.js';
import { NO_SESSION_CACHE, assertAuthenticated, credentialHeaders, signedInTessera } from './fixtures.js';
import { sqliteBench, sqliteTableBytes } from './stores.js';

/**
 * Scale: session validation with few vs many stored sessions on SQLite. Rows are inserted
 * directly (one prepared statement, one transaction), all of one user, with one known secret
 * so that any of them can be presented; each measurement cycles through a random sample of
 * the stored sessions (the same number of distinct ones at both sizes), so B-tree depth and
 * page-cache misses show; Tessera's session cache is off, so every check reads the store.
 * `last_seen_at` is set in the future so that no sliding-renewal write lands in a measurement.
 * The store's connection is opened as a server opens it (the default SQLite page cache).
 */

export interface ScaleResult {
  small: number;
  large: number;
  smallNs: number;
  largeNs: number;
  ratio: number;
  /** SQLite's page cache of the store's connection (openSqliteDatabase's default), MiB. */
  cacheSizeMiB: number;
  /** Bytes of the sessions table and its indexes (dbstat) per row, at `large`. */
  bytesPerSession: number | null;
  insertSeconds: number;
}

const SAMPLE = 10_000;
const DEVICE = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

export async function runScaleBenchmark(plan: TimingPlan, small: number, large: number, log: (line: string) => void): Promise<ScaleResult> {
  const bench = sqliteBench();
  const { auth, email } = await signedInTessera(bench.store, 'EdDSA', NO_SESSION_CACHE);
  try {
    const real = await credentialHeaders(auth, email, 'session');
    await assertAuthenticated(auth, real, 'scale test');
    const found = await auth.authenticate(real);
    if (found.status !== 'authenticated') throw new Error('scale test: sign-in failed');
    const cookieName = auth.cookieNames.session;
    const secret = randomBytes(32).toString('base64url');
    const secretHash = createHash('sha256').update(secret).digest('base64url');
    const ids: string[] = [];
    const insert = bench.db.prepare(
      `INSERT INTO sessions (id, user_id, mode, secret_hash, previous_secret_hash, rotated_at, generation, device, ip,
         created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at)
       VALUES (?, ?, 'session', ?, NULL, NULL, 0, ?, '203.0.113.7', ?, ?, ?, ?, NULL)`,
    );
    const fill = bench.db.transaction((count: number) => {
      const now = Date.now();
      for (let i = 0; i < count; i++) {
        const id = randomBytes(16).toString('base64url');
        insert.run(id, found.userId, secretHash, DEVICE, now, now + 3_600_000, now + 86_400_000, now + 2_592_000_000);
        ids.push(id);
      }
    });
    let insertSeconds = 0;
    const fillTo = (total: number): void => {
      const t0 = performance.now();
      fill(total - 1 - ids.length);
      insertSeconds += (performance.now() - t0) / 1000;
    };
    const sampleSize = Math.min(SAMPLE, small - 1);
    const measure = async (): Promise<number> => {
      const picked = new Set<string>();
      while (picked.size < sampleSize) picked.add(ids[Math.floor(Math.random() * ids.length)]!);
      const sample = [...picked].map((id) => ({ cookie: `${cookieName}=${id}.${secret}` }));
      await assertAuthenticated(auth, sample[0]!, 'scale test sample');
      let next = 0;
      return timeAsync(() => auth.authenticate(sample[next++ % sample.length]!), plan);
    };

    fillTo(small);
    const smallNs = await measure();
    log(`  ${small} sessions: ${(smallNs / 1000).toFixed(2)} µs per check; filling to ${large}…`);
    fillTo(large);
    const largeNs = await measure();
    const bytes = sqliteTableBytes(bench.db, 'sessions');
    const result: ScaleResult = {
      small,
      large,
      smallNs,
      largeNs,
      ratio: largeNs / smallNs,
      cacheSizeMiB: -Number(bench.db.pragma('cache_size', { simple: true })) / 1024,
      bytesPerSession: bytes === null ? null : bytes / large,
      insertSeconds,
    };
    log(`  ${large} sessions: ${(largeNs / 1000).toFixed(2)} µs per check (×${result.ratio.toFixed(2)}), ${result.bytesPerSession?.toFixed(0) ?? 'n/a'} bytes per session, inserts ${insertSeconds.toFixed(1)} s`);
    return result;
  } finally {
    await auth.close();
    await bench.cleanup();
  }
}

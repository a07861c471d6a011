import { createHash, randomBytes } from 'node:crypto';
import type { Tessera } from '../../packages/tessera/src/auth/tessera.js';
import type { TimingPlan } from '../lib/timing.js';
import { timeInterleaved } from '../lib/timing.js';
import { NO_SESSION_CACHE, assertAuthenticated, credentialHeaders, signedInTessera } from './fixtures.js';
import { sqliteBench, sqliteTableBytes } from './stores.js';

/**
 * Scale: session validation with few vs many stored sessions on SQLite. Two databases, one
 * per size, each filled directly (one prepared statement, one transaction) with sessions of
 * one user and one known secret so that any of them can be presented; each check cycles
 * through a random sample of the stored sessions (the same number of distinct ones at both
 * sizes), so B-tree depth and page-cache misses show; Tessera's session cache is off, so every
 * check reads the store. `last_seen_at` is set in the future so that no sliding-renewal write
 * lands in a measurement. Each connection is opened as a server opens it (the default SQLite
 * page cache). The two sizes are timed in interleaved rounds: measured one after the other
 * (the small one, then fill, then the large one), drift on this noisy machine moved the ratio
 * between ×1.17 and ×1.68 from one run to the next.
 *
 * The floor, timed in the same rounds: the store's own query run raw (the prepared primary-key
 * JOIN of the session check, on the same databases and the same sample), which is what the
 * growth of a store read costs whoever makes it.
 */

export interface ScaleResult {
  small: number;
  large: number;
  smallNs: number;
  largeNs: number;
  ratio: number;
  /** The raw SELECT of the session check, ns per query at each size (the floor). */
  selectSmallNs: number;
  selectLargeNs: number;
  /** SQLite's page cache of the store's connection (openSqliteDatabase's default), MiB. */
  cacheSizeMiB: number;
  /** Bytes of the sessions table and its indexes (dbstat) per row, at `large`. */
  bytesPerSession: number | null;
  insertSeconds: number;
}

const SAMPLE = 10_000;
const DEVICE = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

interface ScaleSide {
  auth: Tessera;
  bench: ReturnType<typeof sqliteBench>;
  /** Cookie headers of a random sample of the stored sessions, cycled by the checks. */
  sample: { cookie: string }[];
  /** The ids of `sample`, for the raw SELECT. */
  sampleIds: string[];
  insertSeconds: number;
}

/** A SQLite store holding `total` sessions (the signed-in one included) and a sample of them. */
async function scaleSide(total: number, sampleSize: number): Promise<ScaleSide> {
  const bench = sqliteBench();
  const { auth, email } = await signedInTessera(bench.store, 'EdDSA', NO_SESSION_CACHE);
  try {
    const real = await credentialHeaders(auth, email, 'session');
    const found = await auth.authenticate(real);
    if (found.status !== 'authenticated') throw new Error('scale test: sign-in failed');
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
    const t0 = performance.now();
    fill(total - 1);
    const insertSeconds = (performance.now() - t0) / 1000;
    const picked = new Set<string>();
    while (picked.size < Math.min(sampleSize, ids.length)) picked.add(ids[Math.floor(Math.random() * ids.length)]!);
    const sampleIds = [...picked];
    const sample = sampleIds.map((id) => ({ cookie: `${auth.cookieNames.session}=${id}.${secret}` }));
    await assertAuthenticated(auth, sample[0]!, 'scale test sample');
    return { auth, bench, sample, sampleIds, insertSeconds };
  } catch (error) {
    await auth.close();
    await bench.cleanup();
    throw error;
  }
}

export async function runScaleBenchmark(plan: TimingPlan, small: number, large: number, log: (line: string) => void): Promise<ScaleResult> {
  const sampleSize = Math.min(SAMPLE, small - 1);
  const sides: ScaleSide[] = [];
  try {
    sides.push(await scaleSide(small, sampleSize));
    log(`  ${small} sessions stored; filling a second database to ${large}…`);
    sides.push(await scaleSide(large, sampleSize));
    const [few, many] = sides as [ScaleSide, ScaleSide];
    const checker = (side: ScaleSide): (() => Promise<unknown>) => {
      let next = 0;
      return () => side.auth.authenticate(side.sample[next++ % side.sample.length]!);
    };
    const select = (side: ScaleSide): (() => unknown) => {
      // The SQL of SqliteStore.getSessionCheck, as raw rows: the store read and nothing else.
      const query = side.bench.db.prepare<[string], unknown[]>(
        `SELECT session.id, session.user_id, session.mode, session.secret_hash, session.last_seen_at,
                session.idle_expires_at, session.absolute_expires_at, session.revoked_at,
                user.id, user.email, user.created_at, user.disabled_at, user.email_verified_at
         FROM sessions session JOIN users user ON user.id = session.user_id WHERE session.id = ?`,
      ).raw();
      let next = 0;
      return () => {
        if (query.get(side.sampleIds[next++ % side.sampleIds.length]!) === undefined) throw new Error('scale test: a sampled session is missing');
      };
    };
    // Three times the usual rounds: a round is 100 ms and the two sizes differ by a few µs.
    const rounds = plan.rounds * 3;
    const ns = await timeInterleaved([
      { id: 'small', fn: checker(few), isAsync: true },
      { id: 'large', fn: checker(many), isAsync: true },
      { id: 'select-small', fn: select(few) },
      { id: 'select-large', fn: select(many) },
    ], { ...plan, rounds });
    const smallNs = ns.get('small')!;
    const largeNs = ns.get('large')!;
    const bytes = sqliteTableBytes(many.bench.db, 'sessions');
    const result: ScaleResult = {
      small,
      large,
      smallNs,
      largeNs,
      ratio: largeNs / smallNs,
      selectSmallNs: ns.get('select-small')!,
      selectLargeNs: ns.get('select-large')!,
      cacheSizeMiB: -Number(many.bench.db.pragma('cache_size', { simple: true })) / 1024,
      bytesPerSession: bytes === null ? null : bytes / large,
      insertSeconds: few.insertSeconds + many.insertSeconds,
    };
    log(`  ${small} → ${large} sessions: ${(smallNs / 1000).toFixed(2)} → ${(largeNs / 1000).toFixed(2)} µs per check (×${result.ratio.toFixed(2)}); the raw SELECT ${(result.selectSmallNs / 1000).toFixed(2)} → ${(result.selectLargeNs / 1000).toFixed(2)} µs; ${result.bytesPerSession?.toFixed(0) ?? 'n/a'} bytes per session, inserts ${result.insertSeconds.toFixed(1)} s`);
    return result;
  } finally {
    for (const side of sides) {
      await side.auth.close();
      await side.bench.cleanup();
    }
  }
}

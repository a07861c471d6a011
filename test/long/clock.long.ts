/**
 * Clock jumps at random (`npm run test:long`): fast-check generates sequences of real waits,
 * clock jumps forward and back (up to 40 days either way), sign-ins in both modes, uses
 * (GET /auth/me, refresh) and sign-outs, run against an in-process server on a ManualClock.
 * The model keeps "true" time (what only waits advance) beside the server's clock, and after
 * every step checks the stored records and the answers:
 * - the absolute expiry of a record is its creation time plus the absolute timeout, never moved;
 * - the idle expiry never passes the absolute expiry;
 * - bounded extension: a record's idle expiry is at most idle timeout + the largest forward
 *   offset the clock ever had, past true "now"; its absolute expiry at most absolute timeout +
 *   that offset past its true creation;
 * - an answer of 200 means the server's clock was before the record's stored expiries;
 * - no resurrection: a record once refused (expired or signed out) is never accepted again.
 * Resurrections are counted over all sequences (docs/reliability.md, defect 3) rather than
 * stopping the run at the first, so that the other properties are checked on every sequence.
 *
 * `TESSERA_CLOCK_SEQUENCES` (default 300) sequences of up to 40 steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TestServer } from '../security/helpers.js';
import { body, GOOD_PASSWORD, openDatabase, SESSION_COOKIE, startTestServer } from '../security/helpers.js';

const SEQUENCES = Number(process.env.TESSERA_CLOCK_SEQUENCES ?? 300);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const IDLE = DAY;
const ABSOLUTE = 30 * DAY;

type Step =
  | { kind: 'wait'; ms: number }
  | { kind: 'jump'; ms: number }
  | { kind: 'login'; mode: 'session' | 'jwt' }
  | { kind: 'use'; pick: number }
  | { kind: 'logout'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 1000, max: 2 * HOUR }), fc.integer({ min: HOUR, max: 3 * DAY })) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('jump' as const), ms: fc.oneof(fc.integer({ min: -3 * DAY, max: 3 * DAY }), fc.integer({ min: -40 * DAY, max: 40 * DAY })) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('login' as const), mode: fc.constantFrom('session' as const, 'jwt' as const) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('use' as const), pick: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('logout' as const), pick: fc.nat() }), weight: 1 },
);

interface Client {
  sid: string;
  mode: 'session' | 'jwt';
  credential: string;
  createdTrue: number;
  refused: boolean;
  refusedWhy: string;
}

test(`${SEQUENCES} random sequences of waits, clock jumps, sign-ins, uses and sign-outs`, async (t) => {
  let steps = 0;
  let accepted = 0;
  let refused = 0;
  const resurrections: string[] = [];
  await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (sequence) => {
    const s: TestServer = await startTestServer({ manualClock: true });
    try {
      const clock = s.clock!;
      const start = clock.nowMs();
      let trueNow = start;
      let maxOffset = 0;
      const clients: Client[] = [];
      const email = `clock-${Math.random().toString(36).slice(2)}@example.com`;
      assert.equal((await s.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } })).statusCode, 201);
      for (const st of sequence) {
        steps++;
        if (st.kind === 'wait') {
          trueNow += st.ms;
          clock.advanceSeconds(st.ms / 1000);
        } else if (st.kind === 'jump') {
          clock.advanceSeconds(st.ms / 1000);
          // Never before the server's start: its first signing key activates then, and a
          // step back past it stops JWT issuance (defect 4, tested on its own).
          if (clock.nowMs() < start + 1000) clock.setMs(start + 1000);
        } else if (st.kind === 'login') {
          const res = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD, mode: st.mode } });
          assert.equal(res.statusCode, 200, res.body);
          const b = body(res);
          const credential = st.mode === 'session' ? res.cookies.find((c) => c.name === SESSION_COOKIE)!.value : (b.refreshToken as string);
          clients.push({ sid: credential.split('.')[0]!, mode: st.mode, credential, createdTrue: trueNow, refused: false, refusedWhy: '' });
        } else if (clients.length > 0) {
          const c = clients[st.pick % clients.length]!;
          const row = stored(s, c.sid);
          const clockAt = clock.nowMs();
          let status: number;
          if (st.kind === 'logout') {
            const res = c.mode === 'session'
              ? await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `${SESSION_COOKIE}=${c.credential}` } })
              : await s.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: c.credential } });
            status = res.statusCode;
            if (status === 204) {
              c.refused = true;
              c.refusedWhy = 'signed out';
            }
          } else {
            const res = c.mode === 'session'
              ? await s.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie: `${SESSION_COOKIE}=${c.credential}` } })
              : await s.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: c.credential } });
            status = res.statusCode;
            if (status === 200 && c.mode === 'jwt') c.credential = body(res).refreshToken as string;
          }
          assert.ok(status < 500, `${st.kind}: ${status}`);
          // A sign-out grants nothing (and answers 204 for an expired record too): only uses
          // are judged by the oracle.
          const ok = status === 200;
          if (st.kind === 'logout') {
            // judged by the "no resurrection" bookkeeping above only
          } else if (ok) {
            accepted++;
            if (c.refused) resurrections.push(`${c.mode} record accepted at clock ${(clockAt - start) / HOUR} h (true ${(trueNow - start) / HOUR} h) after it was refused (${c.refusedWhy})`);
            assert.ok(row !== undefined && row.revoked === false, 'accepted, so the record is stored and live');
            assert.ok(clockAt < row.idle && clockAt < row.absolute, `${c.mode} ${st.kind} accepted at clock ${(clockAt - start) / HOUR} h, past a stored expiry (created ${(row.created - start) / HOUR} h, idle ${(row.idle - start) / HOUR} h, absolute ${(row.absolute - start) / HOUR} h)`);
          } else {
            refused++;
            if (!c.refused) {
              c.refused = true;
              c.refusedWhy = `refused ${status} at clock ${(clockAt - start) / HOUR} h`;
            }
          }
        }
        maxOffset = Math.max(maxOffset, clock.nowMs() - trueNow);
        // Invariants of every stored record.
        for (const c of clients) {
          const row = stored(s, c.sid);
          if (row === undefined || row.revoked) continue;
          assert.equal(row.absolute - row.created, ABSOLUTE, 'the absolute expiry is creation + the absolute timeout');
          assert.ok(row.idle <= row.absolute, 'idle expiry within the absolute one');
          assert.ok(row.idle - trueNow <= IDLE + maxOffset, `idle expiry ${(row.idle - trueNow) / HOUR} h past true now, beyond idle + the largest offset (${maxOffset / HOUR} h)`);
          assert.ok(row.absolute - c.createdTrue <= ABSOLUTE + maxOffset, 'absolute expiry beyond absolute timeout + the largest offset');
        }
      }
    } finally {
      await s.dispose();
    }
  }), { numRuns: SEQUENCES, seed: Number(process.env.TESSERA_FUZZ_SEED ?? 20_261_204), endOnFailure: true });
  const report = `clock jumps: ${SEQUENCES} sequences, ${steps} steps, ${accepted} uses accepted, ${refused} refused; invariants held on every step; resurrections after a backward jump: ${resurrections.length}`;
  t.diagnostic(report);
  console.log(report);
  if (resurrections.length > 0) console.log(`first resurrections: ${resurrections.slice(0, 5).join(' | ')}`);
  assert.equal(resurrections.length, 0, `records came back after being refused (defect 3): ${resurrections.slice(0, 3).join(' | ')}`);
});

function stored(s: TestServer, sid: string): { created: number; idle: number; absolute: number; revoked: boolean } | undefined {
  const db = openDatabase(s.dataDir);
  try {
    const row = db.prepare('SELECT created_at, idle_expires_at, absolute_expires_at, revoked_at FROM sessions WHERE id = ?').get(sid) as
      { created_at: number; idle_expires_at: number; absolute_expires_at: number; revoked_at: number | null } | undefined;
    return row && { created: row.created_at, idle: row.idle_expires_at, absolute: row.absolute_expires_at, revoked: row.revoked_at !== null };
  } finally {
    db.close();
  }
}

/**
 * Fault suite, long variant (`npm run test:long`): the SIGKILL repetition of
 * test/security/fault-harness.ts, 200 times on one data directory
 * (`TESSERA_FAULT_REPETITIONS` to change). Besides the per-repetition checks, the database
 * must not grow with the number of crashes: after every restart no purgeable row is left
 * (revoked or expired session records, expired revocation-feed entries and login failures),
 * however often the server was killed before its 10-minute purge timer fired. What remains
 * is data the server must keep (users, live sessions, revocation entries inside their
 * 15-minute life, the audit log); its size is reported.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanUpServers } from '../../packages/server/test/robustness/spawn-server.js';
import { formatReport, SigkillFault } from '../security/fault-harness.js';

const REPETITIONS = Number(process.env.TESSERA_FAULT_REPETITIONS ?? 200);

after(cleanUpServers);

test(`SIGKILL during 100 concurrent sign-ins, rotations and sign-outs, ${REPETITIONS} times on one database`, async (t) => {
  const fault = new SigkillFault();
  await fault.start();
  await fault.seed(50);
  const failures: string[] = [];
  const started = performance.now();
  try {
    for (let round = 1; round <= REPETITIONS; round++) {
      const report = await fault.round(round);
      const line = formatReport(report);
      t.diagnostic(line);
      if (round % 10 === 0 || report.problems.length > 0) console.log(line);
      if (report.problems.length > 0) failures.push(`round ${round}: ${report.problems.join(' | ')}`);
    }
  } finally {
    await fault.stop();
  }
  const r = fault.reports;
  const sum = (f: (x: (typeof r)[number]) => number) => r.reduce((n, x) => n + f(x), 0);
  const tenth = Math.max(1, Math.floor(REPETITIONS / 10));
  const early = r.slice(tenth - 1, 2 * tenth);
  const late = r.slice(-tenth);
  const maxOf = (list: typeof r, f: (x: (typeof r)[number]) => number) => Math.max(...list.map(f));
  const bytes = (x: (typeof r)[number]) => x.dbBytes + x.walBytes;
  const summary = {
    repetitions: REPETITIONS,
    minutes: ((performance.now() - started) / 60_000).toFixed(1),
    answered: sum((x) => x.answered),
    lostInFlight: sum((x) => x.lost),
    rotationsInFlightRecovered: sum((x) => x.pendingRotations),
    users: r[r.length - 1]!.users,
    liveSessions: r[r.length - 1]!.liveSessions,
    meanRestartMs: Math.round(sum((x) => x.restartMs) / r.length),
    bytesEarlyMax: maxOf(early, bytes),
    bytesLateMax: maxOf(late, bytes),
    deadRowsEarlyMax: maxOf(early, (x) => x.rows.deadSessions),
    deadRowsLateMax: maxOf(late, (x) => x.rows.deadSessions),
    sessionRowsLate: r[r.length - 1]!.rows.sessions,
    revocationRowsLate: r[r.length - 1]!.rows.revocations,
    auditRowsLate: r[r.length - 1]!.rows.auditRows,
    bytesPerRepetition: Math.round((bytes(r[r.length - 1]!) - bytes(r[0]!)) / Math.max(1, r.length - 1)),
  };
  console.log(`SIGKILL long: ${JSON.stringify(summary)}`);
  t.diagnostic(JSON.stringify(summary));
  assert.deepEqual(failures, []);
  // Growth: no purgeable row survives a restart, so crashes add no waste (retained data —
  // users, the audit log, revocation entries inside their life — grows with the workload).
  const leftovers = r.filter((x) => x.rows.deadSessions > 0 || x.rows.expiredRows > 0).map((x) => `round ${x.round}: ${x.rows.deadSessions} dead sessions, ${x.rows.expiredRows} expired rows`);
  assert.deepEqual(leftovers, [], 'purgeable rows survived a restart');
});

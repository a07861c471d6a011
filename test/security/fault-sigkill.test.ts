/**
 * Fault suite, short variant (part of `npm test`): the real server is SIGKILLed at a random
 * moment during 100 concurrent sign-ups, sign-ins, refresh rotations and sign-outs, and
 * restarted on the same SQLite file, 5 times; after each restart nothing the server had
 * answered is lost, nothing signed out comes back, and the file is intact. See
 * fault-harness.ts for the checks; test/long/sigkill.long.ts runs 200 repetitions.
 * Needs the build (`npm run build`): the server runs as `dist/cli.js serve`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanUpServers } from '../../packages/server/test/robustness/spawn-server.js';
import { formatReport, SigkillFault } from './fault-harness.js';

const REPETITIONS = Number(process.env.TESSERA_FAULT_REPETITIONS ?? 5);

after(cleanUpServers);

test(`SIGKILL during 100 concurrent sign-ins, rotations and sign-outs, ${REPETITIONS} times: nothing answered is lost`, async (t) => {
  const fault = new SigkillFault();
  await fault.start();
  await fault.seed();
  try {
    for (let round = 1; round <= REPETITIONS; round++) {
      const report = await fault.round(round);
      t.diagnostic(formatReport(report));
      assert.deepEqual(report.problems, [], `round ${round}`);
      // The purge at start: nothing signed out or expired is left after a restart, however
      // often the server dies before its purge timer (docs/reliability.md, defect 7).
      assert.equal(report.rows.deadSessions, 0, `round ${round}: dead session rows survived the restart`);
    }
  } finally {
    await fault.stop();
  }
  const last = fault.reports[fault.reports.length - 1]!;
  const lost = fault.reports.reduce((n, r) => n + r.lost, 0);
  const answered = fault.reports.reduce((n, r) => n + r.answered, 0);
  console.log(`SIGKILL fault: ${REPETITIONS} kills, ${answered} answered requests checked, ${lost} lost in flight; ${last.users} users, ${last.liveSessions} live sessions; integrity ok`);
  assert.ok(answered > 0);
});

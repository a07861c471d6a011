/**
 * The child process of `POST /admin/bench` (short-bench.ts forks it with the duration, the
 * warm-up, the connections and an empty data directory as arguments): measures the two modes with `measureModes`, sends the report to
 * the parent over IPC and exits. The server it measures is its own throwaway one, so the live
 * server's event loop is neither the one measured nor blocked by the run.
 */
import { measureModes } from './measure-modes.js';
import type { ModesReport } from './measure-modes.js';

/** What the child sends its parent, once. */
export type BenchChildMessage = { ok: true; report: ModesReport } | { ok: false; message: string };

function send(message: BenchChildMessage, exitCode: number): void {
  if (process.send === undefined) {
    process.stderr.write('bench-child: run by short-bench.ts (with an IPC channel), not directly\n');
    process.exit(2);
  }
  process.send(message, () => process.exit(exitCode));
}

// A parent that went away (crashed, killed) wants no result: stop rather than load on.
process.on('disconnect', () => process.exit(1));

const [durationSeconds, warmupSeconds, connections] = process.argv.slice(2, 5).map(Number);
const dataDir = process.argv[5];
if (![durationSeconds, warmupSeconds, connections].every(Number.isSafeInteger) || dataDir === undefined) {
  send({ ok: false, message: 'bench-child needs the duration, the warm-up, the connections and a data directory' }, 2);
} else {
  measureModes({ durationSeconds: durationSeconds!, warmupSeconds: warmupSeconds!, connections: connections!, dataDir }).then(
    (report) => send({ ok: true, report }, 0),
    (error: unknown) => send({ ok: false, message: error instanceof Error ? error.message : String(error) }, 1),
  );
}

/**
 * Short benchmarks on behalf of the live server (`POST /admin/bench`): one at a time, each in
 * a child process (bench-child.ts) so that the server answering users is not the one measured
 * and its event loop is never blocked by a run. The child is killed when it overruns its
 * deadline or when the server closes.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchChildMessage } from './bench-child.js';
import type { ModesReport } from './measure-modes.js';

/** The child's module: bench-child.js next to this file (bench-child.ts under a TypeScript loader). */
const CHILD_MODULE = fileURLToPath(new URL(`./bench-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** Start-up, sign-ins and shut-down of the child besides the load itself (an estimate, for Retry-After). */
const EXPECTED_OVERHEAD_MS = 3000;
/**
 * How long a child may take in all before it is killed: the server's 30 s request timeout less
 * a second, whatever the run's length, so that the answer still fits in the request. A fixed
 * 15 s past the load was too little for start-up on a slow, busy machine (2026-12-05: a 1 s run
 * killed at 19 s while the test suite ran beside it).
 */
const DEADLINE_MS = 29_000;
/** The child's last stderr bytes kept for the log when it fails. */
const STDERR_TAIL_BYTES = 2048;

/** Why a run could not start or did not finish. */
export class ShortBenchError extends Error {
  /** Seconds until the running benchmark should be over (`busy` only). */
  readonly retryAfterSeconds: number;
  readonly reason: 'busy' | 'failed';

  constructor(reason: 'busy' | 'failed', message: string, retryAfterSeconds = 1, detail?: string) {
    super(message, detail === undefined ? undefined : { cause: detail });
    this.name = 'ShortBenchError';
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** One benchmark at a time, each in a child process. */
export interface ShortBench {
  /** Runs one; rejects with a `busy` {@link ShortBenchError} while another runs. */
  run(options: { durationSeconds: number; warmupSeconds: number; connections: number }): Promise<ModesReport>;
  /** Kills the running child, if any. */
  close(): void;
}

/** Node flags worth passing on to the child: a TypeScript loader, yes; the test runner's or an inspector's, no. */
function childExecArgv(): string[] {
  return process.execArgv.filter((flag) => !/^--(test|inspect|watch|debug)/.test(flag));
}

/** A single-flight runner of short benchmarks. */
export function createShortBench(): ShortBench {
  let running: { child: ChildProcess; endsAt: number } | null = null;

  return {
    run({ durationSeconds, warmupSeconds, connections }) {
      if (running !== null) {
        const seconds = Math.max(1, Math.ceil((running.endsAt - Date.now()) / 1000));
        return Promise.reject(new ShortBenchError('busy', 'A benchmark is already running; one runs at a time.', seconds));
      }
      const loadMs = 2 * (warmupSeconds + durationSeconds) * 1000;
      // Made and removed here, so that a killed child leaves nothing behind.
      const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
      const child = fork(CHILD_MODULE, [...[durationSeconds, warmupSeconds, connections].map(String), dataDir], {
        execArgv: childExecArgv(),
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
      });
      const current = { child, endsAt: Date.now() + loadMs + EXPECTED_OVERHEAD_MS };
      running = current;
      let stderr = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
      });
      return new Promise<ModesReport>((resolve, reject) => {
        let message: BenchChildMessage | null = null;
        const deadline = setTimeout(() => {
          child.kill('SIGKILL');
        }, DEADLINE_MS);
        child.on('message', (m: BenchChildMessage) => {
          message ??= m;
        });
        const settle = () => {
          clearTimeout(deadline);
          rmSync(dataDir, { recursive: true, force: true });
          if (running === current) running = null;
        };
        child.on('error', (error) => {
          settle();
          reject(new ShortBenchError('failed', 'The benchmark process could not start.', 1, error.message));
        });
        child.on('exit', (code, signal) => {
          settle();
          if (message?.ok === true) {
            resolve(message.report);
            return;
          }
          const what = signal === null ? `The benchmark failed (exit code ${code}).` : `The benchmark process was stopped (${signal}).`;
          reject(new ShortBenchError('failed', what, 1, message?.ok === false ? message.message : stderr.trim()));
        });
      });
    },
    close() {
      running?.child.kill('SIGKILL');
    },
  };
}

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';

/**
 * Child processes of the harness (servers, load generators): pinned to a core with `taskset`
 * when it exists and there are at least two cores, tracked by PID, and always stopped by PID:
 * by the caller (try/finally), and on exit or a signal as a last resort.
 */

const live = new Map<number, ChildProcess>();

function killAll(signal: NodeJS.Signals): void {
  for (const [pid] of live) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
let stopRequested = false;
/** True after SIGINT/SIGTERM: the run is being torn down and must not write a report. */
export function interrupted(): boolean {
  return stopRequested;
}
process.on('exit', () => killAll('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Killing the children makes the pending step fail, so the finally blocks clean up
    // (temp dirs, Redis keys); a step that does not notice is cut off after 5 s.
    stopRequested = true;
    killAll('SIGKILL');
    setTimeout(() => process.exit(130), 5000).unref();
  });
}

let tasksetChecked: boolean | undefined;
/** True when children can be pinned: `taskset` runs and there are two cores or more. */
export function canPin(): boolean {
  if (tasksetChecked === undefined) {
    const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    tasksetChecked = probe.status === 0 && availableParallelism() >= 2;
  }
  return tasksetChecked;
}

/** The command line, prefixed with `taskset -c <core>` when pinning is possible. */
export function pinned(core: number | undefined, command: string, args: string[]): [string, string[]] {
  if (core === undefined || !canPin()) return [command, args];
  return ['taskset', ['-c', String(core), command, ...args]];
}

/**
 * Pins a running process, every thread of it, to `core` (threads it starts later inherit it).
 * Lets servers start in parallel on every core and be pinned once ready.
 */
export function pinRunning(pid: number, core: number | undefined): void {
  if (core === undefined || !canPin()) return;
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`taskset could not pin process ${pid} to core ${core}`);
}

/** A free TCP port on 127.0.0.1, from listen(0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** Collected stdout (whole) and the tail of stderr. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code when the child exits. */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  core?: number;
  /**
   * A file that receives the child's stdout (appended), in place of collecting it: a server
   * that logs every request writes far more than a string should hold.
   */
  stdoutFile?: string;
}

/** Starts a child; its stdout is collected (or written to `stdoutFile`), its stderr tail kept for error messages. */
export function startChild(options: StartOptions): Child {
  const [command, args] = pinned(options.core, options.command, options.args);
  const stdoutFd = options.stdoutFile === undefined ? undefined : openSync(options.stdoutFile, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'] });
  } finally {
    // The child holds its own copy of the descriptor.
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  }
  if (proc.pid === undefined) throw new Error(`${options.name}: could not start ${command}.`);
  const pid = proc.pid;
  live.set(pid, proc);
  let out = '';
  let err = '';
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err = (err + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      live.delete(pid);
      resolve(code);
    });
    proc.once('error', (error) => {
      err += String(error);
      live.delete(pid);
      resolve(null);
    });
  });
  return {
    name: options.name,
    pid,
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop() {
      if (!live.has(pid)) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }, 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Waits for the first stdout line that parses as JSON (a server's `{"port":…}`), or fails.
 * The generous timeout is for busy machines: a dozen servers start at once.
 */
export async function firstJsonLine<T>(child: Child, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = child.stdout().split('\n').find((l) => l.startsWith('{'));
    if (line !== undefined) return JSON.parse(line) as T;
    const done = await Promise.race([child.exited.then(() => true), sleep(25).then(() => false)]);
    if (done || Date.now() > deadline) {
      throw new Error(`${child.name} did not start: ${child.stderr().trim() || 'no output'}`);
    }
  }
}

/** Polls `url` until it answers 200, or fails with the child's stderr. */
export async function waitForHttp(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    const done = await Promise.race([child.exited.then(() => true), sleep(50).then(() => false)]);
    if (done || Date.now() > deadline) {
      throw new Error(`${child.name} did not become ready: ${child.stderr().trim() || 'no output'}`);
    }
  }
}

/** Runs a child to completion and returns its stdout; throws with stderr on a non-zero exit. */
export async function runToEnd(options: StartOptions): Promise<string> {
  const child = startChild(options);
  const code = await child.exited;
  if (code !== 0) throw new Error(`${options.name} failed (exit ${code}): ${child.stderr().trim()}`);
  return child.stdout();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

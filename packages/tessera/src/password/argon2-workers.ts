import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Options as Argon2Options } from '@node-rs/argon2';

/**
 * argon2 on worker threads of lowered CPU priority.
 *
 * A sign-in costs ~10 ms of CPU in argon2 and well under 1 ms anywhere else. On libuv's
 * threadpool the hashes run at the priority of the event loop, so a login storm that keeps
 * every core hashing also delays every other request: the event loop waits for a core like
 * any hash does. Here each hash runs on a worker thread that lowers its own priority (Linux
 * `nice`, per thread) at start: the scheduler then gives the event loop a core as soon as it
 * has work, and the hashes take all the CPU it leaves. Sign-ins keep their throughput on an
 * otherwise idle machine; authenticated traffic keeps its latency during a storm.
 *
 * Lowering a thread's priority needs no privilege; where the platform cannot (no
 * `/proc/thread-self`), the workers run at normal priority and everything else holds.
 */

/** A hash or verify for a worker: what @node-rs/argon2's sync functions take. */
type Job =
  | { op: 'hash'; password: string; options: Argon2Options }
  | { op: 'verify'; hash: string; password: string };

type Reply = { id: number; ok: true; value: string | boolean } | { id: number; ok: false; message: string };

// The worker's code, evaluated as CommonJS in the worker (no separate file to locate from
// src under a TypeScript loader and from dist alike). It lowers its own priority, then
// answers jobs one at a time with the synchronous argon2 calls.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2Path);
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, workerData.niceness);
} catch {}
parentPort.on('message', (job) => {
  try {
    const value = job.op === 'hash' ? argon2.hashSync(job.password, job.options) : argon2.verifySync(job.hash, job.password);
    parentPort.postMessage({ id: job.id, ok: true, value });
  } catch (error) {
    parentPort.postMessage({ id: job.id, ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
`;

const ARGON2_PATH = createRequire(import.meta.url).resolve('@node-rs/argon2');

/** How long an idle hashing worker lives before it exits, by default, in milliseconds. */
export const ARGON2_WORKER_IDLE_MS = 10_000;

/** Options of {@link Argon2Workers}. */
export interface Argon2WorkersOptions {
  /** Workers at most (the hasher's concurrency: one job per worker at a time). */
  size: number;
  /** The `nice` value the workers take, 0 (normal) to 19 (lowest priority). */
  niceness: number;
  /** A worker idle this long exits (a new one starts on demand), in milliseconds. Default {@link ARGON2_WORKER_IDLE_MS}. */
  idleMs?: number;
}

interface Slot {
  worker: Worker;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * Runs argon2 jobs on up to `size` workers, started on demand. The caller bounds how many jobs
 * are in flight (the hasher's {@link WorkQueue}); a job beyond `size` waits for a worker here.
 * Idle workers neither keep the process alive nor linger: they exit after `idleMs`.
 */
export class Argon2Workers {
  #size: number;
  readonly #niceness: number;
  readonly #idleMs: number;
  readonly #idle: Slot[] = [];
  readonly #waiting: Array<(slot: Slot) => void> = [];
  /** Workers started and not exited (idle or busy). */
  readonly #alive = new Set<Slot>();
  #nextId = 1;

  constructor(options: Argon2WorkersOptions) {
    this.#size = options.size;
    this.#niceness = options.niceness;
    this.#idleMs = options.idleMs ?? ARGON2_WORKER_IDLE_MS;
  }

  /** Workers alive now, busy or idle. */
  get workers(): number {
    return this.#alive.size;
  }

  /** Allows up to `size` workers (never fewer than before). */
  grow(size: number): void {
    this.#size = Math.max(this.#size, size);
  }

  hash(password: string, options: Argon2Options): Promise<string> {
    return this.#run({ op: 'hash', password, options }) as Promise<string>;
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.#run({ op: 'verify', hash, password }) as Promise<boolean>;
  }

  async #run(job: Job): Promise<string | boolean> {
    const slot = await this.#acquire();
    const id = this.#nextId++;
    try {
      return await new Promise<string | boolean>((resolve, reject) => {
        const onMessage = (reply: Reply): void => {
          if (reply.id !== id) return;
          cleanup();
          // A job that throws (a malformed hash) leaves the worker as it was.
          if (reply.ok) resolve(reply.value);
          else reject(new Error(reply.message));
        };
        const onExit = (): void => {
          cleanup();
          reject(new Error('The argon2 worker stopped.'));
        };
        const cleanup = (): void => {
          slot.worker.off('message', onMessage);
          slot.worker.off('exit', onExit);
        };
        slot.worker.on('message', onMessage);
        slot.worker.on('exit', onExit);
        slot.worker.postMessage({ ...job, id });
      });
    } finally {
      // A worker that stopped (crash, close) was discarded by its exit handler.
      if (this.#alive.has(slot)) this.#release(slot);
    }
  }

  #acquire(): Promise<Slot> {
    const slot = this.#idle.pop();
    if (slot !== undefined) {
      clearTimeout(slot.idleTimer);
      slot.worker.ref();
      return Promise.resolve(slot);
    }
    if (this.#alive.size < this.#size) return Promise.resolve(this.#start());
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #start(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { argon2Path: ARGON2_PATH, niceness: this.#niceness } });
    const slot: Slot = { worker, idleTimer: undefined };
    this.#alive.add(slot);
    // An exit (idle timeout, crash) frees the place for a new worker; an error is followed by
    // an exit, and the job in flight fails with it (see #run).
    worker.once('exit', () => this.#discard(slot));
    worker.on('error', () => {});
    return slot;
  }

  #release(slot: Slot): void {
    const next = this.#waiting.shift();
    if (next !== undefined) {
      next(slot);
      return;
    }
    slot.worker.unref();
    slot.idleTimer = setTimeout(() => void slot.worker.terminate(), this.#idleMs).unref();
    this.#idle.push(slot);
  }

  #discard(slot: Slot): void {
    if (!this.#alive.delete(slot)) return;
    clearTimeout(slot.idleTimer);
    const at = this.#idle.indexOf(slot);
    if (at >= 0) this.#idle.splice(at, 1);
    void slot.worker.terminate();
    // Someone waiting for a worker gets a fresh one.
    const next = this.#waiting.shift();
    if (next !== undefined) next(this.#start());
  }

  /** Stops every worker (jobs in flight fail). */
  async close(): Promise<void> {
    await Promise.all([...this.#alive].map((slot) => slot.worker.terminate()));
  }
}

const shared = new Map<number, Argon2Workers>();

/**
 * The process's workers of one `niceness`, allowing at least `size` at once: every hasher of
 * the process shares them, so many hashers (tests make hundreds) never mean many threads.
 */
export function sharedArgon2Workers(niceness: number, size: number): Argon2Workers {
  let pool = shared.get(niceness);
  if (pool === undefined) {
    pool = new Argon2Workers({ size, niceness });
    shared.set(niceness, pool);
  }
  pool.grow(size);
  return pool;
}

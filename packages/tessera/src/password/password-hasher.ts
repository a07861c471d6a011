import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Algorithm, Options as Argon2Options } from '@node-rs/argon2';
import { sharedArgon2Workers } from './argon2-workers.js';
import type { Clock } from '../clock.js';
import { normalizePassword } from './password-policy.js';
import { WorkQueue } from './work-queue.js';
import type { WorkQueueStats } from './work-queue.js';

/**
 * Password hashing with argon2id, the first choice of the OWASP Password Storage Cheat Sheet
 * (and a memory-hard function, as NIST SP 800-63B-4 §3.1.1.2 recommends). @node-rs/argon2
 * runs each hash/verify on a worker thread of lowered CPU priority (argon2-workers.ts), so
 * the event loop keeps serving requests, at once, while hashes take the CPU it leaves; the
 * bounded {@link WorkQueue} in front of it caps CPU, memory (memoryKiB per operation in
 * flight) and backlog.
 */

/**
 * Hashes and verifies passwords (the `passwordHasher` option): swap in cheaper parameters for
 * tests, or another implementation. Every method normalises the password (NFKC) itself.
 *
 * @example
 * ```ts
 * import { createArgon2Hasher, createTessera } from 'tessera'
 * import type { PasswordHasher } from 'tessera'
 *
 * // Tests only: production keeps the default cost.
 * const passwordHasher: PasswordHasher = createArgon2Hasher({ memoryKiB: 1024, timeCost: 1 })
 * const auth = await createTessera({ store, issuer: 'http://localhost:3000', passwordHasher })
 * ```
 */
export interface PasswordHasher {
  /** A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a fresh random salt. */
  hash(password: string): Promise<string>;
  /** True when `password` matches `hash`. False, never a throw, for a malformed hash. */
  verify(hash: string, password: string): Promise<boolean>;
  /** True when `hash` was made with another algorithm or weaker parameters than configured. */
  needsRehash(hash: string): boolean;
  /**
   * Spends the work of one `verify` against a fixed dummy hash and discards the result, so
   * that a sign-in for an unknown email takes as long as one with a wrong password (no
   * account enumeration by timing, OWASP Authentication Cheat Sheet).
   */
  burn(password: string): Promise<void>;
}

/** The operations reported to {@link Argon2HasherOptions.onDuration}. */
export type HasherOperation = 'hash' | 'verify' | 'burn';

/** The argon2id cost parameters. */
export interface Argon2Params {
  /** Memory per operation, KiB (`m`). */
  memoryKiB: number;
  /** Passes over memory (`t`). */
  timeCost: number;
  /** Lanes (`p`). */
  parallelism: number;
}

/** Options of {@link createArgon2Hasher}. */
export interface Argon2HasherOptions extends Partial<Argon2Params> {
  /** Operations in flight at once; defaults to `os.availableParallelism()`. */
  concurrency?: number;
  /**
   * Operations waiting for a slot; defaults to `concurrency * 256` (about 2.5 s of waiting at
   * the default cost), so that a storm of a few hundred sign-ins waits rather than fails.
   * Beyond: `unavailable` (503 with Retry-After).
   */
  maxQueue?: number;
  /**
   * The `nice` value (0 to 19) of the threads that hash, default 19: they yield the CPU to the
   * event loop, so a login storm does not slow authenticated requests. 0 hashes at the event
   * loop's priority (choose it where other busy processes share the CPU and sign-ins must not
   * wait for them). Linux only; elsewhere the threads keep the normal priority.
   */
  niceness?: number;
  /** Time source for `onDuration`; defaults to `performance.now()` (sub-millisecond). */
  clock?: Clock;
  /** Called after each operation ran, with its duration in seconds (queue wait excluded). */
  onDuration?: (op: HasherOperation, seconds: number) => void;
}

/** An argon2id {@link PasswordHasher} with its configuration and queue load exposed. */
export interface Argon2Hasher extends PasswordHasher {
  readonly params: Readonly<Argon2Params>;
  /** Current load of the work queue. */
  stats(): WorkQueueStats;
}

/**
 * Default cost: the OWASP Password Storage Cheat Sheet's first argon2id configuration
 * (m=19 MiB, t=2, p=1). Raise memoryKiB (and lower timeCost accordingly) if the hardware
 * allows; never go below these.
 */
export const ARGON2_DEFAULT_PARAMS: Readonly<Argon2Params> = Object.freeze({ memoryKiB: 19456, timeCost: 2, parallelism: 1 });

/**
 * The default `nice` of hashing threads: the lowest priority. Inside a server's own CPU share
 * (a container's cgroup, a dedicated host) the event loop is their only competitor: it gets a
 * core the moment it has work, and the hashes get every cycle it leaves. Measured on 2 cores
 * (bench/http/logins.ts): 198-207 sign-ins/s against a 207/s ceiling, and `/auth/me` p99 6-7 ms
 * during a storm of 200 concurrent sign-ins against 6-9 ms without (nice 10: 7-13 ms; 0, the
 * threadpool's priority: 26-38 ms).
 */
const DEFAULT_NICENESS = 19;

// `Algorithm` is an ambient const enum, unusable under isolatedModules: 2 is Argon2id.
const ARGON2ID: Algorithm = 2;
const ARGON2_VERSION = 19;

const PHC = /^\$(argon2(?:id|i|d))\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** Parses an argon2 PHC string; null when it is anything else. */
function parsePhc(hash: string): { algorithm: string; version: number } & Argon2Params | null {
  const m = PHC.exec(hash);
  if (m === null) return null;
  return {
    algorithm: m[1]!,
    version: Number(m[2]),
    memoryKiB: Number(m[3]),
    timeCost: Number(m[4]),
    parallelism: Number(m[5]),
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/**
 * Creates an argon2id hasher. Tests may pass small parameters (e.g. `memoryKiB: 1024,
 * timeCost: 1`) to stay fast; production should keep the defaults or raise them.
 *
 * Sizing: each operation in flight holds `memoryKiB` of memory and a worker thread (shared by
 * the hashers of the process, started on demand, gone after 10 s idle); libuv's threadpool,
 * which file system and DNS calls use, is left alone.
 *
 * @example
 * ```ts
 * import { createArgon2Hasher, createTessera } from 'tessera'
 *
 * const passwordHasher = createArgon2Hasher({ onDuration: (op, seconds) => console.log(`argon2 ${op}: ${seconds.toFixed(3)} s`) })
 * const auth = await createTessera({ store, issuer: 'https://auth.example.com', passwordHasher })
 * console.log(passwordHasher.params, passwordHasher.stats()) // the cost in force, the queue's load
 * ```
 */
export function createArgon2Hasher(options: Argon2HasherOptions = {}): Argon2Hasher {
  const params: Readonly<Argon2Params> = Object.freeze({
    memoryKiB: positiveInteger('memoryKiB', options.memoryKiB ?? ARGON2_DEFAULT_PARAMS.memoryKiB),
    timeCost: positiveInteger('timeCost', options.timeCost ?? ARGON2_DEFAULT_PARAMS.timeCost),
    parallelism: positiveInteger('parallelism', options.parallelism ?? ARGON2_DEFAULT_PARAMS.parallelism),
  });
  const concurrency = positiveInteger('concurrency', options.concurrency ?? availableParallelism());
  const queue = new WorkQueue({ concurrency, maxQueue: options.maxQueue ?? concurrency * 256, retryAfterSeconds: 1 });
  const niceness = options.niceness ?? DEFAULT_NICENESS;
  if (!Number.isSafeInteger(niceness) || niceness < 0 || niceness > 19) throw new RangeError('niceness must be an integer from 0 to 19');
  const workers = sharedArgon2Workers(niceness, concurrency);
  const argon2Options: Argon2Options = {
    algorithm: ARGON2ID,
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  const { clock, onDuration } = options;
  const now = clock === undefined ? () => performance.now() : () => clock.nowMs();

  /** Runs `work` in a queue slot and reports how long it took. */
  function timed<T>(op: HasherOperation, work: () => Promise<T>): Promise<T> {
    return queue.run(async () => {
      const start = now();
      try {
        return await work();
      } finally {
        if (onDuration !== undefined) {
          try {
            onDuration(op, Math.max(0, now() - start) / 1000);
          } catch {
            // A failing metrics callback must not fail a sign-in.
          }
        }
      }
    });
  }

  // The dummy hash is made once, with the configured parameters, so a burn costs what a
  // verify of a current hash costs. It is created on first use (inside that burn's slot) so
  // that constructing a hasher starts no work; a failed attempt is retried next time.
  let dummy: Promise<string> | undefined;
  function dummyHash(): Promise<string> {
    dummy ??= workers.hash(randomBytes(32).toString('base64url'), argon2Options).catch((error: unknown) => {
      dummy = undefined;
      throw error;
    });
    return dummy;
  }

  async function safeVerify(hash: string, password: string): Promise<boolean> {
    try {
      return await workers.verify(hash, normalizePassword(password));
    } catch {
      // A malformed or foreign hash is a mismatch, not a server error: the caller answers
      // invalid_credentials either way, and nothing about the stored value leaks.
      return false;
    }
  }

  return {
    params,
    stats: () => queue.stats(),
    hash: (password) => timed('hash', () => workers.hash(normalizePassword(password), argon2Options)),
    verify: (hash, password) => timed('verify', () => safeVerify(hash, password)),
    burn: (password) =>
      timed('burn', async () => {
        await safeVerify(await dummyHash(), password);
      }),
    needsRehash(hash) {
      const parsed = parsePhc(hash);
      if (parsed === null) return true;
      return (
        parsed.algorithm !== 'argon2id' ||
        parsed.version !== ARGON2_VERSION ||
        parsed.memoryKiB < params.memoryKiB ||
        parsed.timeCost < params.timeCost ||
        parsed.parallelism < params.parallelism
      );
    },
  };
}

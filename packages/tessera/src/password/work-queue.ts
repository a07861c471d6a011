import { TesseraError } from '../errors.js';

/**
 * A bounded work queue. Password hashing is deliberately expensive (tens of milliseconds and
 * ~19 MiB per operation), so a burst of sign-ins must not become an unbounded pile of
 * pending promises and memory: OWASP's Denial of Service Cheat Sheet asks that expensive
 * operations be bounded and shed early. At most `concurrency` tasks run at once, at most
 * `maxQueue` wait; beyond that a call fails at once with `unavailable` (503 + Retry-After),
 * which a load balancer or client can act on, instead of timing out later.
 */

/** Options of a {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Tasks running at once (≥ 1). */
  concurrency: number;
  /** Tasks waiting for a slot (≥ 0); further calls are refused. */
  maxQueue: number;
  /** The `retryAfterSeconds` of the refusal; defaults to 1. */
  retryAfterSeconds?: number;
}

/** A snapshot of a queue's load, for metrics and health checks. */
export interface WorkQueueStats {
  inFlight: number;
  waiting: number;
}

/** A FIFO of async tasks with bounded concurrency and a bounded backlog. */
export class WorkQueue {
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly #retryAfterSeconds: number;
  #inFlight = 0;
  // Bounded by maxQueue, so the O(n) shift() is irrelevant next to an argon2 operation.
  readonly #waiting: Array<() => void> = [];

  constructor(options: WorkQueueOptions) {
    if (!Number.isSafeInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError('concurrency must be a positive integer');
    }
    if (!Number.isSafeInteger(options.maxQueue) || options.maxQueue < 0) {
      throw new RangeError('maxQueue must be a non-negative integer');
    }
    this.concurrency = options.concurrency;
    this.maxQueue = options.maxQueue;
    this.#retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }

  /** Tasks currently running. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Both counters at once. */
  stats(): WorkQueueStats {
    return { inFlight: this.#inFlight, waiting: this.#waiting.length };
  }

  /**
   * Runs `task` when a slot is free and settles like it. Rejects immediately with
   * `TesseraError('unavailable', { retryAfterSeconds })` when the backlog is full; the task
   * is then never started.
   */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#inFlight < this.concurrency) return this.#start(task);
    if (this.#waiting.length >= this.maxQueue) {
      return Promise.reject(new TesseraError('unavailable', { retryAfterSeconds: this.#retryAfterSeconds }));
    }
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push(() => {
        this.#start(task).then(resolve, reject);
      });
    });
  }

  #start<T>(task: () => Promise<T>): Promise<T> {
    this.#inFlight += 1;
    let result: Promise<T>;
    try {
      result = task();
    } catch (error) {
      // A task that throws synchronously must still release its slot.
      result = Promise.reject(error);
    }
    return result.finally(() => {
      this.#inFlight -= 1;
      // Hand the slot straight to the oldest waiter, so a waiting task cannot be overtaken by
      // a newcomer that arrives in between.
      this.#waiting.shift()?.();
    });
  }
}

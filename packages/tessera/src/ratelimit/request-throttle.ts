import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import { digestOfParts } from './parts-digest.js';
import { secondsUntilRoom } from './sliding-window.js';
import type { Store } from '../stores/types.js';

/**
 * Budgets for requests that send mail (password reset, verification, email change): at most
 * `max` per subject (an account's email, a client IP) in a sliding window. Unlike the sign-in
 * throttle, it counts every accepted request, not failures: each one sends a mail, and the
 * budget keeps anyone from flooding a mailbox or using the server to spam.
 *
 * It rests on the login-failure primitives of the store (a sorted set of times per key in
 * Redis, rows in SQL), under keys of its own namespace (`req:` + SHA-256 of the throttle's
 * name and the subject, length-prefixed), so no email or address is stored in clear and no
 * key can collide with a sign-in counter. A request is counted first and then judged by the
 * count that includes it (the store adds and counts in one step): concurrent requests see each
 * other, so a burst cannot all pass a check made before any of them was counted (a check first
 * let a burst of 100 resets for one address send 100 mails on PostgreSQL and Redis). A
 * caller already over the budget is refused before counting, so the window ends on time for
 * one who stops; a request refused by one budget stays counted in the others it passed.
 */

/** The store primitives a request throttle uses. */
export type RequestCounterStore = Pick<Store, 'addLoginFailure' | 'countLoginFailures'>;

/** One budget: `max` requests per subject in `windowSeconds`. */
export interface RequestThrottle {
  readonly name: string;
  /** Seconds to wait when `subject` has no budget left now; 0 when it has. */
  retryAfter(subject: string): Promise<number>;
  /**
   * Counts one request of `subject` and judges it by the count that includes it: 0 when it is
   * within the budget, else the seconds to wait (it was one too many).
   */
  take(subject: string): Promise<number>;
}

/** Options of {@link createRequestThrottle}. */
export interface RequestThrottleOptions {
  store: RequestCounterStore;
  clock: Clock;
  /** A fixed name (`password-reset/account`): part of the key, so budgets never mix. */
  name: string;
  max: number;
  windowSeconds: number;
}

/** The store key of a subject under a throttle name (exported for tests). */
export function requestThrottleKey(name: string, subject: string): string {
  return `req:${digestOfParts([`tessera/request/${name}/v1`, subject])}`;
}

/** Creates one budget. */
export function createRequestThrottle(options: RequestThrottleOptions): RequestThrottle {
  const { store, clock, name, max } = options;
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  if (!Number.isSafeInteger(options.windowSeconds) || options.windowSeconds < 1) throw new RangeError('windowSeconds must be a positive integer');
  const windowMs = options.windowSeconds * 1000;
  /** Seconds until one more fits, when `count` requests already use the budget (0: it fits now). */
  const waitFor = (count: number, oldestAt: number | null, now: number, allowed: number): number =>
    count <= allowed ? 0 : secondsUntilRoom(oldestAt, windowMs, now);
  return {
    name,
    async retryAfter(subject) {
      const now = clock.nowMs();
      const { count, oldestAt } = await store.countLoginFailures(requestThrottleKey(name, subject), now - windowMs + 1);
      return waitFor(count, oldestAt, now, max - 1);
    },
    async take(subject) {
      const now = clock.nowMs();
      // Kept only as long as it can count: the store's purge removes it after the window.
      const { count, oldestAt } = await store.addLoginFailure(requestThrottleKey(name, subject), now, now - windowMs + 1, now + windowMs);
      return waitFor(count, oldestAt, now, max);
    },
  };
}

/**
 * Takes one request from every budget: throws `rate_limited` (with the longest
 * `retryAfterSeconds`) when any has nothing left. One already spent refuses before anything
 * is counted; otherwise each counts it and judges by the count that includes it.
 */
export async function takeRequestBudgets(entries: ReadonlyArray<readonly [RequestThrottle, string]>): Promise<void> {
  const longest = (waits: number[]): number => Math.max(0, ...waits);
  let retryAfterSeconds = longest(await Promise.all(entries.map(([throttle, subject]) => throttle.retryAfter(subject))));
  if (retryAfterSeconds === 0) retryAfterSeconds = longest(await Promise.all(entries.map(([throttle, subject]) => throttle.take(subject))));
  if (retryAfterSeconds > 0) throw new TesseraError('rate_limited', { retryAfterSeconds });
}

/**
 * Takes one request from `throttle` for `subject` if it has budget left: true when taken, false
 * when over (for mail that is skipped, not refused, when the budget is spent).
 */
export async function tryRequestBudget(throttle: RequestThrottle, subject: string): Promise<boolean> {
  return (await throttle.retryAfter(subject)) === 0 && (await throttle.take(subject)) === 0;
}

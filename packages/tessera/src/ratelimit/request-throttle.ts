import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
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
 * key can collide with a sign-in counter. A refused request is not counted, so the window
 * ends on time for a caller who stops. Check-then-count is not atomic: concurrent requests
 * may overshoot a budget by the number in flight, which bounds mail volume just as well.
 */

/** The store primitives a request throttle uses. */
export type RequestCounterStore = Pick<Store, 'addLoginFailure' | 'countLoginFailures'>;

/** One budget: `max` requests per subject in `windowSeconds`. */
export interface RequestThrottle {
  readonly name: string;
  /** Seconds to wait when `subject` has no budget left now; 0 when it has. */
  retryAfter(subject: string): Promise<number>;
  /** Counts one accepted request of `subject`. */
  count(subject: string): Promise<void>;
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
  const digest = createHash('sha256');
  for (const part of [`tessera/request/${name}/v1`, subject]) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    digest.update(length).update(bytes);
  }
  return `req:${digest.digest('base64url')}`;
}

/** Creates one budget. */
export function createRequestThrottle(options: RequestThrottleOptions): RequestThrottle {
  const { store, clock, name, max } = options;
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  if (!Number.isSafeInteger(options.windowSeconds) || options.windowSeconds < 1) throw new RangeError('windowSeconds must be a positive integer');
  const windowMs = options.windowSeconds * 1000;
  return {
    name,
    async retryAfter(subject) {
      const now = clock.nowMs();
      const { count, oldestAt } = await store.countLoginFailures(requestThrottleKey(name, subject), now - windowMs + 1);
      if (count < max) return 0;
      // One more is allowed once the oldest counted request leaves the window; never 0.
      return Math.max(1, Math.ceil(((oldestAt ?? now) + windowMs - now) / 1000));
    },
    async count(subject) {
      const now = clock.nowMs();
      // Kept only as long as it can count: the store's purge removes it after the window.
      await store.addLoginFailure(requestThrottleKey(name, subject), now, now - windowMs + 1, now + windowMs);
    },
  };
}

/**
 * Takes one request from every budget, or none: throws `rate_limited` (with the longest
 * `retryAfterSeconds`) when any has nothing left, and then counts nothing.
 */
export async function takeRequestBudgets(entries: ReadonlyArray<readonly [RequestThrottle, string]>): Promise<void> {
  const waits = await Promise.all(entries.map(([throttle, subject]) => throttle.retryAfter(subject)));
  const retryAfterSeconds = Math.max(0, ...waits);
  if (retryAfterSeconds > 0) throw new TesseraError('rate_limited', { retryAfterSeconds });
  await Promise.all(entries.map(([throttle, subject]) => throttle.count(subject)));
}

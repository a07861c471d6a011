import { randomBytes } from 'node:crypto';

/**
 * Time and randomness are injected so that every expiry, throttle and rotation can be tested
 * without sleeping, and so that a test can make a clock jump forward or back.
 */

/** A source of the current time in milliseconds since the Unix epoch. */
export interface Clock {
  nowMs(): number;
}

/** A source of cryptographically secure random bytes. */
export interface RandomSource {
  bytes(length: number): Uint8Array;
}

/** The system clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** The operating system's CSPRNG (`crypto.randomBytes`). */
export const systemRandom: RandomSource = { bytes: (length) => randomBytes(length) };

/** Whole seconds since the epoch, as JWT `iat`/`exp` use them. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.nowMs() / 1000);
}

/**
 * A clock that only moves when told to: for tests.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'))
 * clock.advanceSeconds(901) // the access token has now expired
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  constructor(startMs = Date.parse('2026-01-01T00:00:00Z')) {
    this.#now = startMs;
  }
  nowMs(): number {
    return this.#now;
  }
  advanceSeconds(seconds: number): void {
    this.#now += seconds * 1000;
  }
  setMs(ms: number): void {
    this.#now = ms;
  }
}

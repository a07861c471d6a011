import { randomBytes } from 'node:crypto';

/**
 * Time and randomness are injected so that every expiry, throttle and rotation can be tested
 * without sleeping, and so that a test can make a clock jump forward or back.
 */

/**
 * A source of the current time in milliseconds since the Unix epoch. Every expiry, throttle
 * and rotation reads it, so a test can set the time instead of sleeping (the `clock` option).
 *
 * @example
 * ```ts
 * import { createTessera } from 'tessera'
 * import type { Clock } from 'tessera'
 *
 * const frozen: Clock = { nowMs: () => Date.parse('2026-01-01T00:00:00Z') }
 * const auth = await createTessera({ store, issuer: 'http://localhost:3000', clock: frozen })
 * ```
 */
export interface Clock {
  nowMs(): number;
}

/**
 * A source of cryptographically secure random bytes: session ids and secrets, token ids and
 * mail-link secrets come from it (the `random` option), so a test can make them predictable.
 *
 * @example
 * ```ts
 * import { createTessera } from 'tessera'
 * import type { RandomSource } from 'tessera'
 *
 * // For a test only: predictable bytes make every credential guessable.
 * let counter = 0
 * const predictable: RandomSource = { bytes: (length) => new Uint8Array(length).fill(++counter & 0xff) }
 * const auth = await createTessera({ store, issuer: 'http://localhost:3000', random: predictable })
 * ```
 */
export interface RandomSource {
  bytes(length: number): Uint8Array;
}

/**
 * The real time (`Date.now()`): the default wherever a {@link Clock} is optional.
 *
 * @example
 * ```ts
 * import { createOutboxMailer, systemClock } from 'tessera'
 *
 * const mailer = createOutboxMailer({ store, clock: systemClock })
 * const inFifteenMinutes = systemClock.nowMs() + 15 * 60_000
 * ```
 */
export const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * The operating system's CSPRNG (`crypto.randomBytes`): the default {@link RandomSource}.
 *
 * @example
 * ```ts
 * import { systemRandom } from 'tessera'
 *
 * const secret = Buffer.from(systemRandom.bytes(32)).toString('base64url') // 256 random bits
 * ```
 */
export const systemRandom: RandomSource = { bytes: (length) => randomBytes(length) };

/** Whole seconds since the epoch, as JWT `iat`/`exp` use them. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.nowMs() / 1000);
}

/**
 * A clock that only moves when told to: tests of expiry, idle timeouts and throttles jump
 * ahead (or back) instead of sleeping.
 *
 * @example
 * ```ts
 * import { createTessera, ManualClock } from 'tessera'
 * import { createMemoryStore } from 'tessera/memory'
 *
 * const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'))
 * const store = createMemoryStore()
 * await store.migrate()
 * const auth = await createTessera({ store, issuer: 'http://localhost:3000', clock })
 * clock.advanceSeconds(901) // past the default 900 s: access tokens issued before have expired
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

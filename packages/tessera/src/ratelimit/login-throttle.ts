import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import { digestOfParts } from './parts-digest.js';
import { secondsUntilRoom } from './sliding-window.js';
import type { FailureCount, Store } from '../stores/types.js';

/**
 * Sign-in throttling, two layers (OWASP Authentication Cheat Sheet; NIST SP 800-63B-4
 * §3.2.2):
 *
 * - account + IP: at most `maxFailuresPerAccountAndIp` failures in a sliding window. This
 *   slows online guessing from one source without letting anyone elsewhere lock the owner
 *   out (an attacker's IP has its own key).
 * - account: at most `maxConsecutiveFailuresPerAccount` consecutive failures, from any IP.
 *   NIST caps consecutive failures at 100; this bounds a distributed attack (many IPs, one
 *   account) to 100 guesses, which against a blocklisted password space is negligible.
 *   Failures count toward it for `accountRetentionSeconds` (30 days: the store stays bounded
 *   for emails that are only ever guessed at). Reaching the limit writes a lock that is kept
 *   until `unlockAccount` (a password reset, an administrator, the email's registration) or a
 *   success clears it: the spec's "waits for a password reset or an administrator", so the
 *   lock does not lift by itself when the failures that made it age out.
 *
 * The throttle never looks users up: an unknown email takes exactly the same path, so its
 * answers reveal nothing about which accounts exist. Keys are SHA-256 digests of a
 * length-prefixed composition: fixed length, unambiguous ("a:b"+"c" ≠ "a"+"b:c"), and no
 * email or IP in clear in the store.
 */

/** The part of the {@link Store} contract the throttle uses. */
export type LoginFailureStore = Pick<Store, 'addLoginFailure' | 'countLoginFailures' | 'clearLoginFailures' | 'removeLoginFailure'>;

/** Options of {@link createLoginThrottle}. */
export interface LoginThrottleOptions {
  store: LoginFailureStore;
  clock: Clock;
  /** Failures allowed per account and IP within the window; default 10. */
  maxFailuresPerAccountAndIp?: number;
  /** Sliding window of the account + IP layer, seconds; default 900 (15 minutes). */
  windowSeconds?: number;
  /** Consecutive failures that lock an account; default 100 (the NIST maximum). */
  maxConsecutiveFailuresPerAccount?: number;
  /** `retryAfterSeconds` announced while an account is locked; default 3600. */
  lockRetryAfterSeconds?: number;
  /** How long account failures are kept, seconds; default 30 days. */
  accountRetentionSeconds?: number;
}

/** An attempt {@link LoginThrottle.admit} counted. */
export interface AdmittedAttempt {
  /**
   * Takes the attempt back out of the counts, for an attempt that could not be judged (the
   * store or the hash queue failed): a sign-in answered 503 is no wrong password, and retries
   * through an outage must not end in a 429, or in the account lock.
   */
  withdraw(): Promise<void>;
}

/** The sign-in throttle. `emailNormalized` is the trimmed, lower-cased email. */
export interface LoginThrottle {
  /**
   * Admits one attempt, counting it as a failure until `recordSuccess` clears the count (or
   * the attempt is withdrawn); throws `rate_limited` (the attempt must not go on) when it is
   * over a limit. Atomic per attempt, so a concurrent burst is held to the limit. Use instead
   * of check + recordFailure.
   */
  admit(emailNormalized: string, ip: string): Promise<AdmittedAttempt>;
  /**
   * Throws `TesseraError('rate_limited', { retryAfterSeconds })` when a sign-in for this
   * account from this IP must not be attempted now. Call it before verifying the password.
   */
  check(emailNormalized: string, ip: string): Promise<void>;
  /** Counts one failed sign-in (wrong password, or unknown email) on both layers. */
  recordFailure(emailNormalized: string, ip: string): Promise<void>;
  /** Forgets the failures of this account and of this account + IP after a success. */
  recordSuccess(emailNormalized: string, ip: string): Promise<void>;
  /**
   * Ends an account lock and forgets the account's failures (after a password reset, by an
   * administrator, or when the email is registered: failures recorded before an account
   * existed are not its own). Account + IP counters cannot be enumerated (their keys are
   * hashes) and end with their window.
   */
  unlockAccount(emailNormalized: string): Promise<void>;
}

const DAY_SECONDS = 86_400;

/**
 * How long the store keeps an account lock: for good, in effect (a store needs an expiry to
 * purge by; 100 years). Only clearing it ends it.
 */
const ACCOUNT_LOCK_KEPT_MS = 100 * 365 * DAY_SECONDS * 1000;

/** A sign-in throttle's store key (see digestOfParts). */
function throttleKey(...parts: string[]): string {
  return `login:${digestOfParts(parts)}`;
}

/** The store key of the account layer (exported for tests and diagnostics). */
export function accountThrottleKey(emailNormalized: string): string {
  return throttleKey('tessera/login/account/v1', emailNormalized);
}

/** The store key of the account lock, written when the account layer reaches its limit (exported for tests and diagnostics). */
export function accountLockKey(emailNormalized: string): string {
  return throttleKey('tessera/login/account-lock/v1', emailNormalized);
}

/** The store key of the account + IP layer (exported for tests and diagnostics). */
export function accountIpThrottleKey(emailNormalized: string, ip: string): string {
  return throttleKey('tessera/login/account-ip/v1', emailNormalized, ip);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/**
 * Creates the sign-in throttle.
 *
 * @example
 * ```ts
 * await throttle.check(email, ip)
 * if (!(await verifyPassword())) { await throttle.recordFailure(email, ip); throw invalidCredentials }
 * await throttle.recordSuccess(email, ip)
 * ```
 */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const { store, clock } = options;
  const maxPair = positiveInteger('maxFailuresPerAccountAndIp', options.maxFailuresPerAccountAndIp ?? 10);
  const windowMs = positiveInteger('windowSeconds', options.windowSeconds ?? 900) * 1000;
  const maxAccount = positiveInteger('maxConsecutiveFailuresPerAccount', options.maxConsecutiveFailuresPerAccount ?? 100);
  const lockRetryAfter = positiveInteger('lockRetryAfterSeconds', options.lockRetryAfterSeconds ?? 3600);
  const retentionMs = positiveInteger('accountRetentionSeconds', options.accountRetentionSeconds ?? 30 * DAY_SECONDS) * 1000;
  if (retentionMs < windowMs) throw new RangeError('accountRetentionSeconds must be ≥ windowSeconds');

  /** Throws `rate_limited` when either count has reached its limit (`allowed` more may pass). */
  const refuseIfOver = (pair: FailureCount, account: FailureCount, now: number, allowed: number): void => {
    let retryAfterSeconds = 0;
    // The window slides: one more attempt is allowed once the oldest counted failure leaves it.
    if (pair.count > maxPair - allowed) retryAfterSeconds = secondsUntilRoom(pair.oldestAt, windowMs, now);
    if (account.count > maxAccount - allowed) retryAfterSeconds = Math.max(retryAfterSeconds, lockRetryAfter);
    if (retryAfterSeconds > 0) throw new TesseraError('rate_limited', { retryAfterSeconds });
  };

  const check = async (emailNormalized: string, ip: string): Promise<void> => {
    const now = clock.nowMs();
    const [pair, account, lock] = await Promise.all([
      store.countLoginFailures(accountIpThrottleKey(emailNormalized, ip), now - windowMs + 1),
      store.countLoginFailures(accountThrottleKey(emailNormalized), now - retentionMs),
      store.countLoginFailures(accountLockKey(emailNormalized), 0),
    ]);
    refuseIfOver(pair, lock.count > 0 ? { count: maxAccount, oldestAt: lock.oldestAt } : account, now, 1);
  };

  /** Adds one failure to the account layer; locks the account when that reaches the limit. */
  const addAccountFailure = async (emailNormalized: string, now: number): Promise<FailureCount> => {
    const account = await store.addLoginFailure(accountThrottleKey(emailNormalized), now, now - retentionMs, now + retentionMs);
    if (account.count >= maxAccount) await store.addLoginFailure(accountLockKey(emailNormalized), now, 0, now + ACCOUNT_LOCK_KEPT_MS);
    return account;
  };

  /** Removes what `admit` added at `now`: both counts' entries, and the lock entry it made, if any. */
  const withdraw = async (emailNormalized: string, ip: string, now: number, locked: boolean): Promise<void> => {
    await Promise.all([
      store.removeLoginFailure(accountIpThrottleKey(emailNormalized, ip), now),
      store.removeLoginFailure(accountThrottleKey(emailNormalized), now),
      locked ? store.removeLoginFailure(accountLockKey(emailNormalized), now) : undefined,
    ]);
  };

  /** Forgets the account layer's failures and its lock. */
  const clearAccount = (emailNormalized: string): Promise<unknown> => Promise.all([
    store.clearLoginFailures(accountThrottleKey(emailNormalized)),
    store.clearLoginFailures(accountLockKey(emailNormalized)),
  ]);

  return {
    check,

    async admit(emailNormalized, ip) {
      // Over the limit already: refuse without counting, so hammering after a 429 does not
      // keep the window open.
      await check(emailNormalized, ip);
      // Count this attempt BEFORE the password is checked: concurrent attempts then see each
      // other, and a burst cannot all pass the limit while their hashes are computed. A
      // success clears the count (recordSuccess), so only failures remain counted.
      const now = clock.nowMs();
      const [pair, account] = await Promise.all([
        store.addLoginFailure(accountIpThrottleKey(emailNormalized, ip), now, now - windowMs + 1, now + windowMs),
        addAccountFailure(emailNormalized, now),
      ]);
      refuseIfOver(pair, account, now, 0);
      return { withdraw: () => withdraw(emailNormalized, ip, now, account.count >= maxAccount) };
    },

    async recordFailure(emailNormalized, ip) {
      const now = clock.nowMs();
      // Each entry is kept only as long as it can count, so the store stays bounded.
      await Promise.all([
        store.addLoginFailure(accountIpThrottleKey(emailNormalized, ip), now, now - windowMs + 1, now + windowMs),
        addAccountFailure(emailNormalized, now),
      ]);
    },

    async recordSuccess(emailNormalized, ip) {
      // "Consecutive" failures (NIST): a success starts the count again. (The attempt that
      // reached the limit may itself have been the right password: its lock goes too.)
      await Promise.all([store.clearLoginFailures(accountIpThrottleKey(emailNormalized, ip)), clearAccount(emailNormalized)]);
    },

    async unlockAccount(emailNormalized) {
      await clearAccount(emailNormalized);
    },
  };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.js';
import { TesseraError } from '../../src/errors.js';
import { accountIpThrottleKey, accountLockKey, accountThrottleKey, createLoginThrottle } from '../../src/ratelimit/login-throttle.js';
import type { LoginThrottle } from '../../src/ratelimit/login-throttle.js';
import { FakeFailureStore } from './fake-failure-store.js';

const EMAIL = 'alice@example.com';
const IP = '203.0.113.7';

function setup(): { clock: ManualClock; store: FakeFailureStore; throttle: LoginThrottle } {
  const clock = new ManualClock();
  const store = new FakeFailureStore();
  return { clock, store, throttle: createLoginThrottle({ store, clock }) };
}

/** Resolves to the retryAfterSeconds of a rate_limited refusal, or null when allowed. */
async function outcome(throttle: LoginThrottle, email: string, ip: string): Promise<number | null> {
  try {
    await throttle.check(email, ip);
    return null;
  } catch (error) {
    assert.ok(error instanceof TesseraError);
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.status, 429);
    return error.retryAfterSeconds ?? -1;
  }
}

test('10 failures from one IP: the 11th attempt is refused with the right Retry-After', async () => {
  const { clock, throttle } = setup();
  for (let i = 0; i < 10; i++) {
    assert.equal(await outcome(throttle, EMAIL, IP), null, `attempt ${i + 1} allowed`);
    await throttle.recordFailure(EMAIL, IP);
    clock.advanceSeconds(10);
  }
  // The oldest failure was 100 s ago; it leaves the 900 s window in 800 s.
  assert.equal(await outcome(throttle, EMAIL, IP), 800);
  clock.advanceSeconds(0.5);
  assert.equal(await outcome(throttle, EMAIL, IP), 800, 'rounded up, never early');
  // Another IP and another account are unaffected.
  assert.equal(await outcome(throttle, EMAIL, '198.51.100.1'), null);
  assert.equal(await outcome(throttle, 'bob@example.com', IP), null);
});

test('the window slides: one attempt is allowed when the oldest failure leaves it', async () => {
  const { clock, throttle } = setup();
  for (let i = 0; i < 10; i++) {
    await throttle.recordFailure(EMAIL, IP);
    clock.advanceSeconds(60);
  }
  // Failures at t=0,60,…,540; now t=600: the oldest leaves at t=900.
  assert.equal(await outcome(throttle, EMAIL, IP), 300);
  clock.advanceSeconds(299);
  assert.equal(await outcome(throttle, EMAIL, IP), 1);
  clock.advanceSeconds(1); // t=900: the failure at t=0 has left the window; Retry-After was exact
  assert.equal(await outcome(throttle, EMAIL, IP), null);
  clock.advanceSeconds(-0.001);
  assert.equal(await outcome(throttle, EMAIL, IP), 1, 'a millisecond earlier it still counts, and Retry-After is never 0');
  clock.advanceSeconds(0.001);
  await throttle.recordFailure(EMAIL, IP);
  // Failures at t=60…540 and t≈900: the one at t=60 leaves at t=960.
  assert.equal(await outcome(throttle, EMAIL, IP), 60);
});

test('a success resets both layers', async () => {
  const { throttle } = setup();
  for (let i = 0; i < 10; i++) await throttle.recordFailure(EMAIL, IP);
  assert.notEqual(await outcome(throttle, EMAIL, IP), null);
  await throttle.recordSuccess(EMAIL, IP);
  assert.equal(await outcome(throttle, EMAIL, IP), null);
  for (let i = 0; i < 9; i++) await throttle.recordFailure(EMAIL, IP);
  assert.equal(await outcome(throttle, EMAIL, IP), null, '9 fresh failures are still allowed');
});

test('the account locks after 100 consecutive failures from 100 IPs, beyond the window', async () => {
  const { clock, throttle } = setup();
  for (let i = 0; i < 100; i++) {
    const ip = `10.0.${Math.floor(i / 256)}.${i % 256}`;
    assert.equal(await outcome(throttle, EMAIL, ip), null, `failure ${i + 1} allowed`);
    await throttle.recordFailure(EMAIL, ip);
    clock.advanceSeconds(1);
  }
  assert.equal(await outcome(throttle, EMAIL, '192.0.2.200'), 3600);
  clock.advanceSeconds(901);
  assert.equal(await outcome(throttle, EMAIL, '192.0.2.200'), 3600, 'still locked after the window');
  clock.advanceSeconds(7 * 86_400);
  assert.equal(await outcome(throttle, EMAIL, '192.0.2.200'), 3600, 'still locked a week later');
  assert.equal(await outcome(throttle, 'bob@example.com', '192.0.2.200'), null, 'other accounts unaffected');
  await throttle.unlockAccount(EMAIL);
  assert.equal(await outcome(throttle, EMAIL, '192.0.2.200'), null);
});

test('a lock nobody clears outlasts the failures that made it: it waits for unlockAccount (a reset or an administrator)', async () => {
  const { clock, store, throttle } = setup();
  for (let i = 0; i < 100; i++) await throttle.recordFailure(EMAIL, `10.2.0.${i}`);
  clock.advanceSeconds(30 * 86_400 + 1);
  assert.equal((await store.countLoginFailures(accountThrottleKey(EMAIL), 0)).count, 100, 'the failures are still stored (the fake purges nothing)');
  assert.equal(await outcome(throttle, EMAIL, IP), 3600, 'past the failures\' 30 days');
  clock.advanceSeconds(5 * 365 * 86_400);
  assert.equal(await outcome(throttle, EMAIL, IP), 3600, 'five years on');
  await throttle.unlockAccount(EMAIL);
  assert.equal(await outcome(throttle, EMAIL, IP), null);
  assert.equal((await store.countLoginFailures(accountLockKey(EMAIL), 0)).count, 0);
});

test('the lock is stored for good, apart from the failures\' 30 days', async () => {
  const { clock, store, throttle } = setup();
  const now = clock.nowMs();
  for (let i = 0; i < 99; i++) await throttle.recordFailure(EMAIL, `10.3.0.${i}`);
  assert.equal(store.entries.get(accountLockKey(EMAIL)), undefined, '99 failures write no lock');
  await throttle.recordFailure(EMAIL, '10.3.1.0');
  const [lock] = store.entries.get(accountLockKey(EMAIL)) ?? [];
  assert.ok(lock, 'the 100th failure writes the lock');
  assert.ok(lock.expiresAt - now >= 99 * 365 * 86_400_000, `lock kept ${lock.expiresAt - now} ms`);
});

test('the attempt that reaches the limit may still be the right password: its success ends the lock', async () => {
  const { throttle } = setup();
  for (let i = 0; i < 99; i++) await throttle.recordFailure(EMAIL, `10.4.0.${i}`);
  await throttle.admit(EMAIL, IP); // the 100th attempt, counted before its password is checked
  assert.equal(await outcome(throttle, EMAIL, '192.0.2.9'), 3600, 'locked while it is being checked');
  await throttle.recordSuccess(EMAIL, IP);
  assert.equal(await outcome(throttle, EMAIL, '192.0.2.9'), null);
});

test('a withdrawn attempt leaves the counts as they were, the lock it made included; others stay counted', async () => {
  const { clock, store, throttle } = setup();
  for (let i = 0; i < 99; i++) await throttle.recordFailure(EMAIL, `10.6.0.${i}`);
  const before = (key: string) => (store.entries.get(key) ?? []).length;
  const [pair, account] = [before(accountIpThrottleKey(EMAIL, IP)), before(accountThrottleKey(EMAIL))];
  clock.advanceSeconds(1);
  const attempt = await throttle.admit(EMAIL, IP); // the 100th: it locks the account
  assert.equal(before(accountLockKey(EMAIL)), 1);
  await attempt.withdraw();
  assert.deepEqual([before(accountIpThrottleKey(EMAIL, IP)), before(accountThrottleKey(EMAIL)), before(accountLockKey(EMAIL))], [pair, account, 0]);
  assert.equal(await outcome(throttle, EMAIL, '192.0.2.11'), null, 'not locked');
  // Withdrawing removes this attempt's entries only: another at the same instant stays.
  const fresh = setup();
  const a = await fresh.throttle.admit(EMAIL, IP);
  await fresh.throttle.admit(EMAIL, IP);
  await a.withdraw();
  assert.equal(fresh.store.entries.get(accountIpThrottleKey(EMAIL, IP))!.length, 1);
  assert.equal(fresh.store.entries.get(accountThrottleKey(EMAIL))!.length, 1);
});

test('fewer than 100 failures in 30 days do not lock: older ones no longer count', async () => {
  const { clock, throttle } = setup();
  for (let i = 0; i < 60; i++) await throttle.recordFailure(EMAIL, `10.5.0.${i}`);
  clock.advanceSeconds(30 * 86_400 + 1);
  for (let i = 0; i < 60; i++) await throttle.recordFailure(EMAIL, `10.5.1.${i}`);
  assert.equal(await outcome(throttle, EMAIL, '192.0.2.10'), null);
});

test('99 failures do not lock, and a success resets the consecutive count', async () => {
  const { throttle } = setup();
  for (let i = 0; i < 99; i++) await throttle.recordFailure(EMAIL, `10.1.0.${i}`);
  assert.equal(await outcome(throttle, EMAIL, '192.0.2.1'), null);
  await throttle.recordSuccess(EMAIL, '192.0.2.1');
  await throttle.recordFailure(EMAIL, '192.0.2.2');
  assert.equal(await outcome(throttle, EMAIL, '192.0.2.3'), null);
});

test('failures are stored with expiries: the window for account+IP, 30 days for the account', async () => {
  const { clock, store, throttle } = setup();
  const now = clock.nowMs();
  await throttle.recordFailure(EMAIL, IP);
  assert.deepEqual(store.entries.get(accountIpThrottleKey(EMAIL, IP)), [{ at: now, expiresAt: now + 900_000 }]);
  assert.deepEqual(store.entries.get(accountThrottleKey(EMAIL)), [{ at: now, expiresAt: now + 30 * 86_400_000 }]);
});

test('keys are fixed-length digests: no PII, no ambiguity', () => {
  const keys = [
    accountThrottleKey(EMAIL),
    accountLockKey(EMAIL),
    accountIpThrottleKey(EMAIL, IP),
    accountIpThrottleKey('a:b', 'c'),
    accountIpThrottleKey('a', 'b:c'),
    accountIpThrottleKey('a\u0000b', 'c'),
    accountThrottleKey('a'),
    accountIpThrottleKey('a', ''),
  ];
  assert.equal(new Set(keys).size, keys.length, 'all distinct');
  for (const key of keys) {
    assert.match(key, /^login:[A-Za-z0-9_-]{43}$/);
    assert.ok(!key.includes('alice') && !key.includes('203.0'));
  }
});

test('an unknown email takes exactly the same path as a known one', async () => {
  async function run(email: string): Promise<{ outcomes: (number | null)[]; calls: string[] }> {
    const { clock, store, throttle } = setup();
    const outcomes: (number | null)[] = [];
    for (let i = 0; i < 12; i++) {
      outcomes.push(await outcome(throttle, email, IP));
      await throttle.recordFailure(email, IP);
      clock.advanceSeconds(30);
    }
    await throttle.recordSuccess(email, IP);
    outcomes.push(await outcome(throttle, email, IP));
    // Replace the email-specific keys by role names, then compare the call sequences.
    const calls = store.calls.map((c) =>
      c.replaceAll(accountIpThrottleKey(email, IP), 'PAIR').replaceAll(accountThrottleKey(email), 'ACCOUNT').replaceAll(accountLockKey(email), 'LOCK'),
    );
    return { outcomes, calls };
  }
  // The throttle is given no user store at all; whether "alice" exists is unknowable to it.
  assert.deepEqual(await run('nobody-here@example.com'), await run(EMAIL));
});

test('invalid configuration is refused', () => {
  const store = new FakeFailureStore();
  const clock = new ManualClock();
  assert.throws(() => createLoginThrottle({ store, clock, windowSeconds: 0 }), RangeError);
  assert.throws(() => createLoginThrottle({ store, clock, maxFailuresPerAccountAndIp: 1.5 }), RangeError);
  assert.throws(() => createLoginThrottle({ store, clock, accountRetentionSeconds: 60 }), RangeError);
});

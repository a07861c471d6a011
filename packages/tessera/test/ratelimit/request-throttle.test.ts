import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { isTesseraError } from '../../src/errors.js';
import { accountIpThrottleKey } from '../../src/ratelimit/login-throttle.js';
import { createRequestThrottle, requestThrottleKey, takeRequestBudgets } from '../../src/ratelimit/request-throttle.js';
import { createMemoryStore } from '../../src/stores/memory.js';

describe('request budgets', () => {
  it('allow max per window, then 429 with the time until the oldest leaves the window', async () => {
    const store = createMemoryStore();
    const clock = new ManualClock();
    const budget = createRequestThrottle({ store, clock, name: 'test/account', max: 3, windowSeconds: 3600 });
    for (let i = 0; i < 3; i++) {
      await takeRequestBudgets([[budget, 'a@example.com']]);
      clock.advanceSeconds(60);
    }
    const error = await takeRequestBudgets([[budget, 'a@example.com']]).then(() => null, (e: unknown) => e);
    assert.ok(isTesseraError(error, 'rate_limited'));
    assert.equal(error.retryAfterSeconds, 3600 - 180);
    await takeRequestBudgets([[budget, 'b@example.com']]);
    clock.advanceSeconds(3600 - 180);
    await takeRequestBudgets([[budget, 'a@example.com']]);
  });

  it('all or nothing: a refusal by one budget counts in none', async () => {
    const store = createMemoryStore();
    const clock = new ManualClock();
    const perAccount = createRequestThrottle({ store, clock, name: 'x/account', max: 5, windowSeconds: 3600 });
    const perIp = createRequestThrottle({ store, clock, name: 'x/ip', max: 1, windowSeconds: 3600 });
    await takeRequestBudgets([[perAccount, 'a'], [perIp, '1.2.3.4']]);
    await assert.rejects(takeRequestBudgets([[perAccount, 'a'], [perIp, '1.2.3.4']]));
    assert.equal(await perAccount.retryAfter('a'), 0);
    assert.equal((await store.countLoginFailures(requestThrottleKey('x/account', 'a'), 0)).count, 1);
  });

  it('keys: namespaced per budget, never the subject in clear, never a sign-in key', () => {
    const key = requestThrottleKey('password-reset/account', 'a@example.com');
    assert.match(key, /^req:[A-Za-z0-9_-]{43}$/);
    assert.notEqual(key, requestThrottleKey('verification/account', 'a@example.com'));
    assert.notEqual(key, accountIpThrottleKey('a@example.com', ''));
  });
});

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isTesseraError, TesseraError } from '../../src/errors.js';
import type { Store } from '../../src/stores/types.js';
import type { CurrentStore } from './conformance-fixtures.js';
import { DAY, endRequest, makeKey, makeUser, MINUTE, seedUser, T0 } from './conformance-fixtures.js';
import { accountConformance } from './conformance-account.js';
import { adminConformance } from './conformance-admin.js';
import { sessionConformance } from './conformance-sessions.js';

/** A store under test and how to dispose of it (close it, delete its files). */
export interface StoreHarness {
  store: Store;
  cleanup(): Promise<void>;
}

/**
 * The storage contract's conformance suite: every store implementation must pass it.
 * `makeStore` is called once per test and must return a fresh, empty store (the suite calls
 * `migrate()` itself); `cleanup` runs after the test, even when it failed.
 */
export function runStoreConformance(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store conformance: ${name}`, () => {
    let harness: StoreHarness | undefined;
    const store: CurrentStore = () => harness!.store;
    beforeEach(async () => {
      harness = await makeStore();
      await harness.store.migrate();
    });
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    lifecycleConformance(store);
    userConformance(store);
    sessionConformance(store);
    feedConformance(store);
    throttleConformance(store);
    keyConformance(store);
    purgeConformance(store);
    adminConformance(store);
    accountConformance(store);
  });
}

function lifecycleConformance(store: CurrentStore): void {
  it('migrate is idempotent, ping works, close stops the store', async () => {
    await store().migrate();
    await store().migrate();
    await store().ping();
    await store().close();
    await assert.rejects(store().ping());
    await assert.rejects(store().getUserById('user-1'));
    await store().close();
  });
}

function userConformance(store: CurrentStore): void {
  describe('users', () => {
    it('createUser, getUserById and getUserByEmail round-trip every field', async () => {
      const active = makeUser(1);
      const disabled = makeUser(2, { disabledAt: T0 + DAY });
      await store().createUser(active);
      await store().createUser(disabled);
      assert.deepEqual(await store().getUserById('user-1'), active);
      assert.deepEqual(await store().getUserByEmail('user2@example.com'), disabled);
      assert.equal(await store().getUserById('user-3'), null);
      assert.equal(await store().getUserByEmail('user3@example.com'), null);
      // The store compares exactly what it is given: normalizing is the core's job.
      assert.equal(await store().getUserByEmail('USER1@EXAMPLE.COM'), null);
    });

    it("a duplicate emailNormalized throws TesseraError('email_taken') and changes nothing", async () => {
      const first = makeUser(1);
      await store().createUser(first);
      const duplicate = makeUser(2, { email: 'USER1@example.COM', emailNormalized: first.emailNormalized });
      const error = await store().createUser(duplicate).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof TesseraError && isTesseraError(error, 'email_taken'), `got ${String(error)}`);
      assert.equal(await store().getUserById('user-2'), null);
      assert.deepEqual(await store().getUserByEmail(first.emailNormalized), first);
    });

    it('a duplicate id is rejected (and is not email_taken)', async () => {
      await store().createUser(makeUser(1));
      const error = await store().createUser(makeUser(9, { id: 'user-1' })).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof Error && !isTesseraError(error, 'email_taken'), `got ${String(error)}`);
      assert.equal(await store().getUserByEmail('user9@example.com'), null);
    });

    it('updatePasswordHash changes that user only; an unknown id is a no-op', async () => {
      await store().createUser(makeUser(1));
      await store().createUser(makeUser(2));
      await store().updatePasswordHash('user-1', '$argon2id$new');
      await store().updatePasswordHash('user-3', '$argon2id$ignored');
      assert.equal((await store().getUserById('user-1'))!.passwordHash, '$argon2id$new');
      assert.deepEqual(await store().getUserById('user-2'), makeUser(2));
      assert.equal(await store().getUserById('user-3'), null);
    });

    it('returns copies: mutating an argument or a result does not change the stored user', async () => {
      const input = makeUser(1);
      await store().createUser(input);
      input.passwordHash = 'mutated';
      (await store().getUserById('user-1'))!.disabledAt = T0;
      (await store().getUserByEmail('user1@example.com'))!.email = 'mutated';
      assert.deepEqual(await store().getUserById('user-1'), makeUser(1));
    });
  });
}

function feedConformance(store: CurrentStore): void {
  describe('revocation feed', () => {
    it('assigns strictly increasing seq; listRevocations honours afterSeq, now and limit', async () => {
      await seedUser(store(), 1, [['s1'], ['s2'], ['s3'], ['s4']]);
      for (const [i, id] of ['s1', 's2', 's3', 's4'].entries()) {
        await store().endSessions(endRequest('user-1', { sessionIds: [id], at: T0 + i, feedExpiresAt: T0 + (i + 1) * MINUTE }));
      }
      const all = await store().listRevocations(0, T0, 100);
      assert.deepEqual(all.map((e) => e.subject), ['s1', 's2', 's3', 's4']);
      assert.ok(all.every((e, i) => i === 0 || e.seq > all[i - 1]!.seq), 'seq strictly increasing');
      assert.ok(all[0]!.seq > 0);
      assert.deepEqual((await store().listRevocations(all[1]!.seq, T0, 100)).map((e) => e.subject), ['s3', 's4']);
      assert.deepEqual((await store().listRevocations(0, T0, 2)).map((e) => e.subject), ['s1', 's2']);
      assert.deepEqual(await store().listRevocations(0, T0, 0), []);
      // expiresAt must be strictly after now: s2's entry expires exactly at T0 + 2 min.
      assert.deepEqual((await store().listRevocations(0, T0 + 2 * MINUTE, 100)).map((e) => e.subject), ['s3', 's4']);
      assert.deepEqual((await store().listRevocations(all[2]!.seq, T0 + 2 * MINUTE, 1)).map((e) => e.subject), ['s4']);
      assert.deepEqual(all[3], { seq: all[3]!.seq, kind: 'session', subject: 's4', at: T0 + 3, expiresAt: T0 + 4 * MINUTE });
    });

    it('appendRevocations appends in order, returns seqs, and interleaves with endSessions', async () => {
      await seedUser(store(), 1, [['s1']]);
      const appended = await store().appendRevocations([
        { kind: 'jti', subject: 'jti-1', at: T0, expiresAt: T0 + MINUTE },
        { kind: 'user', subject: 'user-9', at: T0 + 1, expiresAt: T0 + MINUTE },
      ]);
      assert.deepEqual(appended.map((e) => [e.kind, e.subject, e.at, e.expiresAt]), [['jti', 'jti-1', T0, T0 + MINUTE], ['user', 'user-9', T0 + 1, T0 + MINUTE]]);
      assert.ok(appended[1]!.seq > appended[0]!.seq);
      await store().endSessions(endRequest('user-1', { sessionIds: ['s1'] }));
      assert.deepEqual(await store().appendRevocations([]), []);
      const feed = await store().listRevocations(0, T0, 100);
      assert.deepEqual(feed.map((e) => e.subject), ['jti-1', 'user-9', 's1']);
      assert.deepEqual(feed.slice(0, 2), appended);
    });

    it('never reuses a seq, even after the entries were purged', async () => {
      await seedUser(store(), 1, [['s1'], ['s2']]);
      await store().endSessions(endRequest('user-1', { sessionIds: ['s1'] }));
      const [first] = await store().listRevocations(0, T0, 100);
      await store().purgeExpired(T0 + DAY);
      assert.deepEqual(await store().listRevocations(0, 0, 100), []);
      await store().endSessions(endRequest('user-1', { userNotBefore: true, at: T0 + DAY, feedExpiresAt: T0 + 2 * DAY }));
      const [next] = await store().listRevocations(0, T0 + DAY, 100);
      assert.ok(next!.seq > first!.seq, `${next!.seq} > ${first!.seq}`);
    });
  });
}

function throttleConformance(store: CurrentStore): void {
  it('login failures: add counts this one, count honours since (inclusive), clear forgets one key', async () => {
    const exp = T0 + DAY;
    assert.deepEqual(await store().countLoginFailures('ip:1', 0), { count: 0, oldestAt: null });
    assert.deepEqual(await store().addLoginFailure('ip:1', T0 + 10, T0, exp), { count: 1, oldestAt: T0 + 10 });
    assert.deepEqual(await store().addLoginFailure('ip:1', T0 + 30, T0, exp), { count: 2, oldestAt: T0 + 10 });
    assert.deepEqual(await store().addLoginFailure('ip:1', T0 + 20, T0 + 20, exp), { count: 2, oldestAt: T0 + 20 });
    assert.deepEqual(await store().addLoginFailure('email:a', T0 + 40, T0, exp), { count: 1, oldestAt: T0 + 40 });
    assert.deepEqual(await store().countLoginFailures('ip:1', T0), { count: 3, oldestAt: T0 + 10 });
    assert.deepEqual(await store().countLoginFailures('ip:1', T0 + 21), { count: 1, oldestAt: T0 + 30 });
    assert.deepEqual(await store().countLoginFailures('ip:1', T0 + 31), { count: 0, oldestAt: null });
    await store().clearLoginFailures('ip:1');
    await store().clearLoginFailures('never-seen');
    assert.deepEqual(await store().countLoginFailures('ip:1', 0), { count: 0, oldestAt: null });
    assert.deepEqual(await store().countLoginFailures('email:a', 0), { count: 1, oldestAt: T0 + 40 });
  });

  it('login failures: concurrent additions to one key count each other (each count from 1 to n once)', async () => {
    // What a burst of sign-in attempts or mail requests is judged by: a store whose additions
    // each counted only themselves let all of a burst pass a budget.
    const n = 40;
    const counts = await Promise.all(Array.from({ length: n }, (_, i) => store().addLoginFailure('burst:a', T0 + i, T0, T0 + DAY)));
    assert.deepEqual(counts.map((c) => c.count).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i + 1));
  });

  it('login failures: remove forgets exactly one entry of that key and time', async () => {
    const exp = T0 + DAY;
    await store().addLoginFailure('rm:a', T0 + 5, T0, exp);
    await store().addLoginFailure('rm:a', T0 + 5, T0, exp); // two attempts in one millisecond
    await store().addLoginFailure('rm:a', T0 + 9, T0, exp);
    await store().addLoginFailure('rm:b', T0 + 5, T0, exp);
    await store().removeLoginFailure('rm:a', T0 + 5);
    assert.deepEqual(await store().countLoginFailures('rm:a', 0), { count: 2, oldestAt: T0 + 5 });
    await store().removeLoginFailure('rm:a', T0 + 5);
    assert.deepEqual(await store().countLoginFailures('rm:a', 0), { count: 1, oldestAt: T0 + 9 });
    await store().removeLoginFailure('rm:a', T0 + 5); // none left at that time: nothing changes
    await store().removeLoginFailure('never-seen', T0);
    assert.deepEqual(await store().countLoginFailures('rm:a', 0), { count: 1, oldestAt: T0 + 9 });
    assert.deepEqual(await store().countLoginFailures('rm:b', 0), { count: 1, oldestAt: T0 + 5 });
  });

  it('login failures: an entry kept for a century (the account lock) is stored, counted from 0 and cleared', async () => {
    const century = 100 * 365 * DAY;
    assert.deepEqual(await store().addLoginFailure('lock:a', T0, 0, T0 + century), { count: 1, oldestAt: T0 });
    assert.deepEqual(await store().countLoginFailures('lock:a', 0), { count: 1, oldestAt: T0 });
    await store().clearLoginFailures('lock:a');
    assert.deepEqual(await store().countLoginFailures('lock:a', 0), { count: 0, oldestAt: null });
  });
}

function keyConformance(store: CurrentStore): void {
  describe('signing keys and server secrets', () => {
    it('insert, list (by createdAt then kid), update; a duplicate kid is rejected', async () => {
      assert.deepEqual(await store().listSigningKeys(), []);
      const later = makeKey('k-later', { createdAt: T0 + DAY, activatesAt: T0 + 2 * DAY });
      const hs = makeKey('k-hs', { alg: 'HS256', publicJwk: null, privateJwk: '{"kty":"oct","k":"c2VjcmV0"}' });
      const ed = makeKey('k-ed');
      for (const key of [later, hs, ed]) await store().insertSigningKey(key);
      assert.deepEqual(await store().listSigningKeys(), [ed, hs, later]);
      await assert.rejects(store().insertSigningKey(makeKey('k-ed', { privateJwk: '{"replaced":true}' })));
      await store().updateSigningKey('k-ed', { retiresAt: T0 + DAY, expiresAt: T0 + 2 * DAY });
      await store().updateSigningKey('k-unknown', { retiresAt: T0, expiresAt: T0 });
      const keys = await store().listSigningKeys();
      assert.deepEqual(keys, [{ ...ed, retiresAt: T0 + DAY, expiresAt: T0 + 2 * DAY }, hs, later]);
      keys[1]!.privateJwk = 'mutated';
      assert.deepEqual((await store().listSigningKeys())[1], hs);
    });

    it('leases: one holder at a time, renewable by its holder, free after expiry or release', async () => {
      assert.equal(await store().tryAcquireLease('rotation', 'a', T0, T0 + MINUTE), true);
      assert.equal(await store().tryAcquireLease('rotation', 'b', T0 + 1, T0 + MINUTE), false, 'held by a');
      assert.equal(await store().tryAcquireLease('other', 'b', T0 + 1, T0 + MINUTE), true, 'leases are per name');
      assert.equal(await store().tryAcquireLease('rotation', 'a', T0 + 2, T0 + 2 * MINUTE), true, 'renewal');
      assert.equal(await store().tryAcquireLease('rotation', 'b', T0 + MINUTE, T0 + 3 * MINUTE), false, 'renewed past T0 + MINUTE');
      assert.equal(await store().tryAcquireLease('rotation', 'b', T0 + 2 * MINUTE, T0 + 3 * MINUTE), true, 'expired: b takes it');
      await store().releaseLease('rotation', 'a');
      assert.equal(await store().tryAcquireLease('rotation', 'a', T0 + 2 * MINUTE, T0 + 3 * MINUTE), false, 'a cannot release b\'s lease');
      await store().releaseLease('rotation', 'b');
      assert.equal(await store().tryAcquireLease('rotation', 'a', T0 + 2 * MINUTE, T0 + 3 * MINUTE), true, 'released');
      const racers = await Promise.all(['x', 'y', 'z', 'w'].map((h) => store().tryAcquireLease('race', h, T0, T0 + MINUTE)));
      assert.equal(racers.filter(Boolean).length, 1, 'exactly one of concurrent acquirers wins');
    });

    it('getOrCreateSecret keeps the first value, per name, also under concurrent first calls', async () => {
      assert.equal(await store().getOrCreateSecret('cookie', 'first'), 'first');
      assert.equal(await store().getOrCreateSecret('cookie', 'second'), 'first');
      const values = await Promise.all(Array.from({ length: 10 }, (_, i) => store().getOrCreateSecret('csrf', `c${i}`)));
      assert.deepEqual(new Set(values), new Set(['c0']));
      assert.equal(await store().getOrCreateSecret('cookie', 'third'), 'first');
    });
  });
}

function purgeConformance(store: CurrentStore): void {
  it('purgeExpired removes expired and revoked records, old feed and throttle entries, expired keys', async () => {
    const now = T0 + 25 * MINUTE;
    await seedUser(store(), 1, [
      ['live'], ['revoked'], ['idle-gone', { idleExpiresAt: T0 + 5 * MINUTE }],
      ['absolute-at-now', { idleExpiresAt: now, absoluteExpiresAt: now }],
    ]);
    await store().endSessions(endRequest('user-1', { sessionIds: ['revoked'], feedExpiresAt: T0 + 20 * MINUTE }));
    await store().endSessions(endRequest('user-1', { userNotBefore: true, feedExpiresAt: T0 + DAY }));
    await store().addLoginFailure('ip:1', T0, T0, now);
    await store().addLoginFailure('ip:1', T0 + MINUTE, T0, now + 1);
    await store().addLoginFailure('ip:2', T0, T0, T0 + MINUTE);
    for (const key of [makeKey('k-current'), makeKey('k-expiring', { expiresAt: now + 1 }), makeKey('k-expired', { expiresAt: now })]) {
      await store().insertSigningKey(key);
    }
    await store().getOrCreateSecret('cookie', 'kept');

    // 3 sessions + 1 feed entry + 2 failures + 1 key
    assert.equal(await store().purgeExpired(now), 7);
    assert.equal(await store().purgeExpired(now), 0);

    assert.equal(await store().getSessionAndUser('revoked'), null);
    assert.equal(await store().getSessionAndUser('idle-gone'), null);
    assert.equal(await store().getSessionAndUser('absolute-at-now'), null);
    assert.deepEqual((await store().listUserSessions('user-1', now)).map((s) => s.id), ['live']);
    assert.deepEqual((await store().listRevocations(0, 0, 100)).map((e) => e.kind), ['user']);
    assert.deepEqual(await store().countLoginFailures('ip:1', 0), { count: 1, oldestAt: T0 + MINUTE });
    assert.deepEqual(await store().countLoginFailures('ip:2', 0), { count: 0, oldestAt: null });
    assert.deepEqual((await store().listSigningKeys()).map((k) => k.kid).sort(), ['k-current', 'k-expiring']);
    assert.deepEqual(await store().getUserById('user-1'), makeUser(1));
    assert.equal(await store().getOrCreateSecret('cookie', 'other'), 'kept');
  });
}

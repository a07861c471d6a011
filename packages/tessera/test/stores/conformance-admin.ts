import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEntry, NewAuditEntry } from '../../src/stores/types.js';
import type { CurrentStore } from './conformance-fixtures.js';
import { DAY, endRequest, makeSession, makeUser, MINUTE, seedUser, T0 } from './conformance-fixtures.js';

/** User administration, the active-session count and the audit log. */
export function adminConformance(store: CurrentStore): void {
  userAdminConformance(store);
  activeCountConformance(store);
  auditConformance(store);
}

function userAdminConformance(store: CurrentStore): void {
  describe('user administration', () => {
    it('listUsers pages in id order (byte order), after a cursor, at most limit', async () => {
      // Created out of order; ids chosen so that byte order differs from case-insensitive order.
      for (const id of ['b', 'B', 'a-2', 'a', 'A_1', 'z']) {
        await store().createUser(makeUser(0, { id, email: `${id}@example.com`, emailNormalized: `${id.toLowerCase()}-${id}@example.com` }));
      }
      const ids = async (afterId: string | undefined, limit: number) =>
        (await store().listUsers(afterId === undefined ? { limit } : { afterId, limit })).map((u) => u.id);
      assert.deepEqual(await ids(undefined, 100), ['A_1', 'B', 'a', 'a-2', 'b', 'z']);
      assert.deepEqual(await ids(undefined, 2), ['A_1', 'B']);
      assert.deepEqual(await ids('B', 3), ['a', 'a-2', 'b']);
      assert.deepEqual(await ids('a-', 2), ['a-2', 'b'], 'the cursor need not be an existing id');
      assert.deepEqual(await ids('z', 10), []);
      assert.deepEqual(await ids(undefined, 0), []);
      assert.deepEqual(await ids(undefined, -1), []);
      const [first] = await store().listUsers({ limit: 1 });
      assert.deepEqual(first, await store().getUserById('A_1'), 'every field');
    });

    it('setUserDisabled sets and clears disabledAt of that user only; false for an unknown user', async () => {
      await seedUser(store(), 1);
      await seedUser(store(), 2);
      assert.equal(await store().setUserDisabled('user-1', T0 + DAY), true);
      assert.equal((await store().getUserById('user-1'))!.disabledAt, T0 + DAY);
      assert.equal((await store().getUserByEmail('user1@example.com'))!.disabledAt, T0 + DAY);
      assert.deepEqual(await store().getUserById('user-2'), makeUser(2));
      assert.equal(await store().setUserDisabled('user-1', null), true);
      assert.deepEqual(await store().getUserById('user-1'), makeUser(1));
      assert.equal(await store().setUserDisabled('user-3', T0), false);
      assert.equal(await store().getUserById('user-3'), null);
    });

    it('a disabled user is returned with its session records (the core refuses it)', async () => {
      await seedUser(store(), 1, [['s1']]);
      await store().setUserDisabled('user-1', T0 + MINUTE);
      assert.equal((await store().getSessionAndUser('s1'))!.user.disabledAt, T0 + MINUTE);
    });

    it('deleteUser removes the user and every record of it; the feed stays; the email is free again', async () => {
      await seedUser(store(), 1, [['a1'], ['a2', { mode: 'jwt' }], ['a-revoked', { revokedAt: T0 }]]);
      await seedUser(store(), 2, [['b1']]);
      await store().endSessions(endRequest('user-1', { all: true, userNotBefore: true, reason: 'admin', feedExpiresAt: T0 + DAY }));
      const feed = await store().listRevocations(0, T0, 100);

      assert.equal(await store().deleteUser('user-1'), true);
      assert.equal(await store().getUserById('user-1'), null);
      assert.equal(await store().getUserByEmail('user1@example.com'), null);
      for (const id of ['a1', 'a2', 'a-revoked']) assert.equal(await store().getSessionAndUser(id), null, id);
      assert.deepEqual(await store().listUserSessions('user-1', T0), []);
      assert.deepEqual(await store().listRevocations(0, T0, 100), feed, 'revocations outlive the account');
      assert.deepEqual((await store().listUsers({ limit: 10 })).map((u) => u.id), ['user-2']);
      assert.equal((await store().getSessionAndUser('b1'))!.user.id, 'user-2', 'other users untouched');

      assert.equal(await store().deleteUser('user-1'), false);
      assert.equal(await store().deleteUser('never-existed'), false);
      // The email, and even the id, can be used by a new account.
      await store().createUser(makeUser(1, { passwordHash: 'new' }));
      assert.equal((await store().getUserByEmail('user1@example.com'))!.passwordHash, 'new');
      assert.equal(await store().getSessionAndUser('a1'), null, 'no record comes back with the id');
      await store().createSession(makeSession('a3', 'user-1'));
      assert.deepEqual((await store().listUserSessions('user-1', T0)).map((s) => s.id), ['a3']);
    });
  });
}

function activeCountConformance(store: CurrentStore): void {
  it('countActiveSessions counts records active at now, every user and mode', async () => {
    const now = T0 + 10 * MINUTE;
    assert.equal(await store().countActiveSessions(now), 0);
    await seedUser(store(), 1, [
      ['a1'], ['a2', { mode: 'jwt' }],
      ['a-revoked', { revokedAt: T0 }],
      ['a-idle-at-now', { idleExpiresAt: now }],
      ['a-absolute-at-now', { idleExpiresAt: now, absoluteExpiresAt: now }],
    ]);
    await seedUser(store(), 2, [['b1'], ['b2', { idleExpiresAt: now + 1 }]]);
    assert.equal(await store().countActiveSessions(now), 4);
    assert.equal(await store().countActiveSessions(now + 1), 3, 'b2 idle-expired');
    assert.equal(await store().countActiveSessions(T0), 6, 'a-revoked never counts');
    await store().endSessions(endRequest('user-1', { sessionIds: ['a1'], at: now }));
    assert.equal(await store().countActiveSessions(now), 3);
    await store().deleteUser('user-2');
    assert.equal(await store().countActiveSessions(now), 1);
    assert.equal(await store().countActiveSessions(T0 + 8 * DAY), 0);
  });
}

const entry = (n: number, overrides: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  at: T0 + n,
  type: 'sign_in',
  userId: 'user-1',
  sessionId: `s${n}`,
  ip: '203.0.113.7',
  detail: 'mode=session',
  ...overrides,
});

function auditConformance(store: CurrentStore): void {
  describe('audit log', () => {
    it('appendAudit round-trips every field (nulls too); listAudit is newest first with increasing seq', async () => {
      assert.deepEqual(await store().listAudit({ limit: 10 }), []);
      await store().appendAudit(entry(1));
      await store().appendAudit(entry(2, { type: 'key_rotated', userId: null, sessionId: null, ip: null, detail: 'kid=k2' }));
      await store().appendAudit(entry(3, { type: 'sign_in_failed', userId: null, sessionId: null, detail: null }));
      const all = await store().listAudit({ limit: 10 });
      assert.deepEqual(all.map(({ seq: _seq, ...rest }) => rest), [
        entry(3, { type: 'sign_in_failed', userId: null, sessionId: null, detail: null }),
        entry(2, { type: 'key_rotated', userId: null, sessionId: null, ip: null, detail: 'kid=k2' }),
        entry(1),
      ]);
      assert.ok(all[0]!.seq > all[1]!.seq && all[1]!.seq > all[2]!.seq && all[2]!.seq > 0, 'seq strictly increasing');
      for (const e of all) assert.ok(Number.isSafeInteger(e.seq), `seq ${String(e.seq)} is a number`);
    });

    it('filters by user, pages with beforeSeq, honours limit', async () => {
      for (let n = 1; n <= 7; n++) await store().appendAudit(entry(n, { userId: n % 2 === 0 ? 'user-2' : 'user-1' }));
      const sessions = (entries: AuditEntry[]) => entries.map((e) => e.sessionId);
      assert.deepEqual(sessions(await store().listAudit({ userId: 'user-1', limit: 10 })), ['s7', 's5', 's3', 's1']);
      assert.deepEqual(sessions(await store().listAudit({ userId: 'user-2', limit: 10 })), ['s6', 's4', 's2']);
      assert.deepEqual(await store().listAudit({ userId: 'user-3', limit: 10 }), []);

      const page1 = await store().listAudit({ userId: 'user-1', limit: 2 });
      assert.deepEqual(sessions(page1), ['s7', 's5']);
      const page2 = await store().listAudit({ userId: 'user-1', beforeSeq: page1.at(-1)!.seq, limit: 2 });
      assert.deepEqual(sessions(page2), ['s3', 's1']);
      assert.deepEqual(await store().listAudit({ userId: 'user-1', beforeSeq: page2.at(-1)!.seq, limit: 2 }), []);

      const everyone = await store().listAudit({ limit: 3 });
      assert.deepEqual(sessions(everyone), ['s7', 's6', 's5']);
      assert.deepEqual(sessions(await store().listAudit({ beforeSeq: everyone.at(-1)!.seq, limit: 100 })), ['s4', 's3', 's2', 's1']);
      assert.deepEqual(await store().listAudit({ limit: 0 }), []);
      assert.deepEqual(await store().listAudit({ limit: -5 }), []);
      assert.deepEqual(await store().listAudit({ beforeSeq: 0, limit: 10 }), []);
    });

    it('entries survive purgeExpired and the deletion of their user', async () => {
      await seedUser(store(), 1, [['s1']]);
      await store().appendAudit(entry(1));
      await store().appendAudit(entry(2, { type: 'user_deleted' }));
      await store().deleteUser('user-1');
      await store().purgeExpired(T0 + 365 * DAY);
      assert.deepEqual((await store().listAudit({ userId: 'user-1', limit: 10 })).map((e) => e.type), ['user_deleted', 'sign_in']);
    });

    it('concurrent appends each get their own seq', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, n) => store().appendAudit(entry(n))));
      const all = await store().listAudit({ limit: 100 });
      assert.equal(all.length, 20);
      assert.equal(new Set(all.map((e) => e.seq)).size, 20);
      assert.deepEqual(new Set(all.map((e) => e.sessionId)), new Set(Array.from({ length: 20 }, (_, n) => `s${n}`)));
    });
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CurrentStore } from './conformance-fixtures.js';
import { DAY, endRequest, makeSession, makeUser, MINUTE, seedUser, T0 } from './conformance-fixtures.js';

/** Session records: lookup, sliding renewal, listing, ending, refresh rotation. */
export function sessionConformance(store: CurrentStore): void {
  describe('session records', () => {
    it('createSession + getSessionAndUser return the record and its user in one lookup', async () => {
      const user = await seedUser(store(), 1);
      const session = makeSession('s-jwt', user.id, {
        mode: 'jwt', previousSecretHash: 'prev', rotatedAt: T0 - MINUTE, generation: 3,
      });
      await store().createSession(session);
      assert.deepEqual(await store().getSessionAndUser('s-jwt'), { session, user });
      assert.equal(await store().getSessionAndUser('unknown'), null);
    });

    it('getSessionAndUser puts every stored value in its own field (no two fields alike)', async () => {
      // Every field distinct, so a store that maps a column to the wrong field fails here.
      const user = makeUser(7, { createdAt: T0 + 11, disabledAt: T0 + 12, emailVerifiedAt: T0 + 13 });
      await store().createUser(user);
      const session = makeSession('s-distinct', user.id, {
        mode: 'jwt', previousSecretHash: 'prev-hash', rotatedAt: T0 + 1, generation: 2, createdAt: T0 + 3,
        lastSeenAt: T0 + 4, idleExpiresAt: T0 + 5 * DAY, absoluteExpiresAt: T0 + 6 * DAY, revokedAt: T0 + 7,
      });
      await store().createSession(session);
      assert.deepEqual(await store().getSessionAndUser('s-distinct'), { session, user });
    });

    it('getSessionCheck, where a store has it, reads the same records as getSessionAndUser, field for field', async (t) => {
      const s = store();
      if (s.getSessionCheck === undefined) {
        t.diagnostic('this store has no getSessionCheck: the session check uses getSessionAndUser');
        return;
      }
      const user = makeUser(7, { createdAt: T0 + 11, disabledAt: T0 + 12, emailVerifiedAt: T0 + 13 });
      await s.createUser(user);
      // Every field distinct (as above), plus a revoked and an expired record.
      await s.createSession(makeSession('s-distinct', user.id, {
        mode: 'jwt', previousSecretHash: 'prev-hash', rotatedAt: T0 + 1, generation: 2, createdAt: T0 + 3,
        lastSeenAt: T0 + 4, idleExpiresAt: T0 + 5 * DAY, absoluteExpiresAt: T0 + 6 * DAY, revokedAt: T0 + 7,
      }));
      await seedUser(s, 1, [['active'], ['expired', { idleExpiresAt: T0 + 1, absoluteExpiresAt: T0 + 2 }]]);
      for (const id of ['s-distinct', 'active', 'expired']) {
        const whole = (await s.getSessionAndUser(id))!;
        const { id: sid, userId, mode, secretHash, lastSeenAt, idleExpiresAt, absoluteExpiresAt, revokedAt } = whole.session;
        const { id: uid, email, createdAt, disabledAt, emailVerifiedAt } = whole.user;
        assert.deepEqual(await s.getSessionCheck(id), {
          session: { id: sid, userId, mode, secretHash, lastSeenAt, idleExpiresAt, absoluteExpiresAt, revokedAt },
          user: { id: uid, email, createdAt, disabledAt, emailVerifiedAt },
        }, id);
      }
      assert.equal(await s.getSessionCheck('unknown'), null);
    });

    it('getSessionAndUser returns revoked and expired records too', async () => {
      await seedUser(store(), 1, [
        ['revoked', { revokedAt: T0 + 1 }],
        ['expired', { idleExpiresAt: T0 + 1, absoluteExpiresAt: T0 + 2 }],
      ]);
      assert.equal((await store().getSessionAndUser('revoked'))?.session.revokedAt, T0 + 1);
      assert.equal((await store().getSessionAndUser('expired'))?.session.absoluteExpiresAt, T0 + 2);
    });

    it('createSession rejects a duplicate id and an unknown user', async () => {
      await seedUser(store(), 1, [['s1']]);
      await assert.rejects(store().createSession(makeSession('s1', 'user-1', { secretHash: 'other' })));
      await assert.rejects(store().createSession(makeSession('s2', 'no-such-user')));
      assert.equal((await store().getSessionAndUser('s1'))?.session.secretHash, 'hash-of-s1');
      assert.equal(await store().getSessionAndUser('s2'), null);
    });

    it('returns copies: mutating an argument or a result does not change the stored record', async () => {
      const user = await seedUser(store(), 1);
      const input = makeSession('s1', user.id);
      await store().createSession(input);
      input.secretHash = 'mutated';
      const first = (await store().getSessionAndUser('s1'))!;
      first.session.revokedAt = T0;
      first.user.disabledAt = T0;
      (await store().listUserSessions(user.id, T0))[0]!.idleExpiresAt = 0;
      const again = (await store().getSessionAndUser('s1'))!;
      assert.deepEqual(again, { session: makeSession('s1', user.id), user });
    });

    it('touchSession slides lastSeenAt and idleExpiresAt, clamped to the absolute expiry', async () => {
      await seedUser(store(), 1, [['s1'], ['s2', { absoluteExpiresAt: T0 + 40 * MINUTE }]]);
      await store().touchSession('s1', T0 + 10 * MINUTE, T0 + 40 * MINUTE);
      await store().touchSession('s2', T0 + 20 * MINUTE, T0 + 50 * MINUTE);
      await store().touchSession('unknown', T0, T0);
      const s1 = (await store().getSessionAndUser('s1'))!.session;
      assert.deepEqual([s1.lastSeenAt, s1.idleExpiresAt], [T0 + 10 * MINUTE, T0 + 40 * MINUTE]);
      const s2 = (await store().getSessionAndUser('s2'))!.session;
      assert.deepEqual([s2.lastSeenAt, s2.idleExpiresAt, s2.absoluteExpiresAt], [T0 + 20 * MINUTE, T0 + 40 * MINUTE, T0 + 40 * MINUTE]);
    });

    it('touchSession has no effect on a revoked record or one expired at lastSeenAt', async () => {
      await seedUser(store(), 1, [['revoked', { revokedAt: T0 }], ['idle-gone', { idleExpiresAt: T0 + MINUTE }]]);
      await store().touchSession('revoked', T0 + MINUTE, T0 + 31 * MINUTE);
      await store().touchSession('idle-gone', T0 + MINUTE, T0 + 31 * MINUTE);
      assert.deepEqual((await store().getSessionAndUser('revoked'))!.session, makeSession('revoked', 'user-1', { revokedAt: T0 }));
      assert.deepEqual((await store().getSessionAndUser('idle-gone'))!.session, makeSession('idle-gone', 'user-1', { idleExpiresAt: T0 + MINUTE }));
    });

    it("listUserSessions returns only the user's active records, newest first", async () => {
      const now = T0 + 10 * MINUTE;
      await seedUser(store(), 1, [
        ['a-old'],
        ['a-newest', { createdAt: T0 + 2 * MINUTE }],
        ['a-new-1', { createdAt: T0 + MINUTE }],
        ['a-new-2', { createdAt: T0 + MINUTE }],
        ['a-revoked', { createdAt: T0 + 3 * MINUTE, revokedAt: T0 + 4 * MINUTE }],
        ['a-idle-at-now', { createdAt: T0 + 3 * MINUTE, idleExpiresAt: now }],
        ['a-absolute-at-now', { createdAt: T0 + 3 * MINUTE, absoluteExpiresAt: now }],
      ]);
      await seedUser(store(), 2, [['b-1', { createdAt: T0 + 5 * MINUTE }]]);
      const ids = (await store().listUserSessions('user-1', now)).map((s) => s.id);
      assert.deepEqual(ids, ['a-newest', 'a-new-2', 'a-new-1', 'a-old']);
      assert.deepEqual(await store().listUserSessions('user-3', now), []);
      assert.deepEqual(await store().listUserSessions('user-1', T0 + 8 * DAY), []);
    });
  });

  describe('endSessions', () => {
    it('ends the listed active records of the user, appending one feed entry each', async () => {
      await seedUser(store(), 1, [['a1'], ['a2'], ['a-revoked', { revokedAt: T0 }]]);
      await seedUser(store(), 2, [['b1']]);
      const at = T0 + MINUTE;
      const ended = await store().endSessions(endRequest('user-1', { sessionIds: ['a1', 'b1', 'unknown', 'a-revoked', 'a1'], at }));
      assert.deepEqual(ended, ['a1']);
      assert.equal((await store().getSessionAndUser('a1'))!.session.revokedAt, at);
      assert.equal((await store().getSessionAndUser('a-revoked'))!.session.revokedAt, T0);
      assert.deepEqual((await store().listUserSessions('user-1', at)).map((s) => s.id), ['a2']);
      assert.equal((await store().getSessionAndUser('b1'))!.session.revokedAt, null);
      const feed = await store().listRevocations(0, at, 100);
      assert.deepEqual(feed.map(({ seq: _seq, ...rest }) => rest), [
        { kind: 'session', subject: 'a1', at, expiresAt: T0 + 20 * MINUTE },
      ]);
      assert.deepEqual(await store().endSessions(endRequest('user-1', { sessionIds: ['a1'] })), []);
    });

    it("cannot end another user's record", async () => {
      await seedUser(store(), 1, [['a1']]);
      await seedUser(store(), 2, [['b1'], ['b2']]);
      assert.deepEqual(await store().endSessions(endRequest('user-1', { sessionIds: ['b1', 'b2'] })), []);
      assert.equal((await store().listUserSessions('user-2', T0 + MINUTE)).length, 2);
      assert.deepEqual(await store().listRevocations(0, T0, 100), []);
    });

    it('all: ends every active record of the user (newest first), skipping ended and expired ones', async () => {
      await seedUser(store(), 1, [
        ['a1'], ['a2', { createdAt: T0 + 1 }], ['a-revoked', { revokedAt: T0 }], ['a-expired', { idleExpiresAt: T0 + 1 }],
      ]);
      await seedUser(store(), 2, [['b1']]);
      const ended = await store().endSessions(endRequest('user-1', { all: true, reason: 'logout_all' }));
      assert.deepEqual(ended, ['a2', 'a1']);
      assert.deepEqual((await store().listRevocations(0, T0, 100)).map((e) => [e.kind, e.subject]), [
        ['session', 'a2'], ['session', 'a1'],
      ]);
      assert.equal((await store().getSessionAndUser('a-expired'))!.session.revokedAt, null);
      assert.equal((await store().listUserSessions('user-2', T0 + MINUTE)).length, 1);
    });

    it('all + exceptSessionId keeps the current record', async () => {
      await seedUser(store(), 1, [['a1'], ['a2'], ['a3']]);
      const ended = await store().endSessions(endRequest('user-1', { all: true, exceptSessionId: 'a2', reason: 'ended_by_user' }));
      assert.deepEqual([...ended].sort(), ['a1', 'a3']);
      assert.deepEqual((await store().listUserSessions('user-1', T0 + MINUTE)).map((s) => s.id), ['a2']);
    });

    it('userNotBefore appends a user entry after the session entries, even when nothing was active', async () => {
      await seedUser(store(), 1, [['a1']]);
      await seedUser(store(), 2);
      const at = T0 + 2 * MINUTE;
      const request = { all: true, at, feedExpiresAt: T0 + DAY, userNotBefore: true, reason: 'password_changed' as const };
      assert.deepEqual(await store().endSessions(endRequest('user-1', request)), ['a1']);
      assert.deepEqual(await store().endSessions(endRequest('user-2', request)), []);
      const feed = (await store().listRevocations(0, at, 100)).map(({ seq: _seq, ...rest }) => rest);
      assert.deepEqual(feed, [
        { kind: 'session', subject: 'a1', at, expiresAt: T0 + DAY },
        { kind: 'user', subject: 'user-1', at, expiresAt: T0 + DAY },
        { kind: 'user', subject: 'user-2', at, expiresAt: T0 + DAY },
      ]);
    });
  });

  describe('rotateRefreshSecret', () => {
    const rotation = (expected: string, next: string, at: number) => ({
      sessionId: 'f1', expectedSecretHash: expected, newSecretHash: next, at, idleExpiresAt: at + 30 * MINUTE,
    });

    it('is a compare-and-set: succeeds once per expected hash and records the rotation', async () => {
      await seedUser(store(), 1, [['f1', { mode: 'jwt', secretHash: 'h0' }]]);
      const at1 = T0 + MINUTE;
      assert.equal(await store().rotateRefreshSecret(rotation('h0', 'h1', at1)), true);
      const after1 = (await store().getSessionAndUser('f1'))!.session;
      assert.deepEqual(after1, makeSession('f1', 'user-1', {
        mode: 'jwt', secretHash: 'h1', previousSecretHash: 'h0', rotatedAt: at1, generation: 1,
        lastSeenAt: at1, idleExpiresAt: at1 + 30 * MINUTE,
      }));
      assert.equal(await store().rotateRefreshSecret(rotation('h0', 'h1-bis', T0 + 2 * MINUTE)), false);
      assert.deepEqual((await store().getSessionAndUser('f1'))!.session, after1);
      assert.equal(await store().rotateRefreshSecret(rotation('h1', 'h2', T0 + 3 * MINUTE)), true);
      const after2 = (await store().getSessionAndUser('f1'))!.session;
      assert.deepEqual([after2.secretHash, after2.previousSecretHash, after2.generation, after2.rotatedAt], ['h2', 'h1', 2, T0 + 3 * MINUTE]);
    });

    it('fails on a revoked, expired or unknown record, changing nothing', async () => {
      await seedUser(store(), 1, [['f1', { mode: 'jwt', secretHash: 'h0' }]]);
      await store().endSessions(endRequest('user-1', { sessionIds: ['f1'], reason: 'refresh_reuse' }));
      const revoked = (await store().getSessionAndUser('f1'))!.session;
      assert.equal(await store().rotateRefreshSecret(rotation('h0', 'h1', T0 + 2 * MINUTE)), false);
      assert.deepEqual((await store().getSessionAndUser('f1'))!.session, revoked);
      await seedUser(store(), 2, [['g1', { mode: 'jwt', secretHash: 'g0', idleExpiresAt: T0 + MINUTE }]]);
      assert.equal(await store().rotateRefreshSecret({ ...rotation('g0', 'g-next', T0 + MINUTE), sessionId: 'g1' }), false);
      assert.equal((await store().getSessionAndUser('g1'))!.session.secretHash, 'g0');
      assert.equal(await store().rotateRefreshSecret({ ...rotation('h0', 'h1', T0), sessionId: 'unknown' }), false);
    });

    it('never moves the idle expiry past the absolute expiry', async () => {
      await seedUser(store(), 1, [['f1', { mode: 'jwt', secretHash: 'h0', absoluteExpiresAt: T0 + 10 * MINUTE }]]);
      assert.equal(await store().rotateRefreshSecret(rotation('h0', 'h1', T0 + MINUTE)), true);
      assert.equal((await store().getSessionAndUser('f1'))!.session.idleExpiresAt, T0 + 10 * MINUTE);
    });

    it('50 concurrent rotations with the same expected hash: exactly one wins', async () => {
      await seedUser(store(), 1, [['f1', { mode: 'jwt', secretHash: 'h0' }]]);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store().rotateRefreshSecret(rotation('h0', `next-${i}`, T0 + MINUTE))),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      const session = (await store().getSessionAndUser('f1'))!.session;
      assert.deepEqual([session.secretHash, session.previousSecretHash, session.generation], [`next-${winner}`, 'h0', 1]);
    });
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTesseraError } from '../../src/errors.js';
import type { AccountTokenRecord, NewOutboxMail } from '../../src/stores/types.js';
import type { CurrentStore } from './conformance-fixtures.js';
import { DAY, makeUser, MINUTE, seedUser, T0 } from './conformance-fixtures.js';

/** Account lifecycle: email changes and verification, account tokens, the development outbox. */
export function accountConformance(store: CurrentStore): void {
  emailConformance(store);
  tokenConformance(store);
  outboxConformance(store);
}

function makeToken(id: string, userId: string, overrides: Partial<AccountTokenRecord> = {}): AccountTokenRecord {
  return {
    id, userId, purpose: 'password_reset', secretHash: `hash-of-${id}`, email: 'User1@Example.com',
    createdAt: T0, expiresAt: T0 + 30 * MINUTE, ...overrides,
  };
}

function makeMail(n: number, overrides: Partial<NewOutboxMail> = {}): NewOutboxMail {
  return {
    at: T0 + n, to: `to${n}@example.com`, subject: `Subject ${n}`, text: `Text ${n} ü`, html: `<p>Html ${n} &amp;</p>`,
    expiresAt: T0 + DAY, ...overrides,
  };
}

function emailConformance(store: CurrentStore): void {
  describe('email address', () => {
    it('createUser and the lookups round-trip emailVerifiedAt', async () => {
      const verified = makeUser(1, { emailVerifiedAt: T0 + MINUTE });
      await store().createUser(verified);
      assert.deepEqual(await store().getUserById('user-1'), verified);
      assert.deepEqual(await store().getUserByEmail('user1@example.com'), verified);
    });

    it('updateUserEmail changes both forms and the verification; the old address is free, the new one taken', async () => {
      await seedUser(store(), 1);
      await seedUser(store(), 2);
      assert.equal(await store().updateUserEmail('user-1', 'New@Example.com', 'new@example.com', T0 + MINUTE), true);
      assert.deepEqual(await store().getUserById('user-1'), makeUser(1, { email: 'New@Example.com', emailNormalized: 'new@example.com', emailVerifiedAt: T0 + MINUTE }));
      assert.equal(await store().getUserByEmail('user1@example.com'), null);
      assert.equal((await store().getUserByEmail('new@example.com'))!.id, 'user-1');
      await store().createUser(makeUser(3, { emailNormalized: 'user1@example.com' }));
      assert.equal(await store().updateUserEmail('user-9', 'x@example.com', 'x@example.com', null), false);
      assert.equal(await store().getUserByEmail('x@example.com'), null);
      // Its own address again (a case change) is not a conflict.
      assert.equal(await store().updateUserEmail('user-1', 'NEW@example.com', 'new@example.com', null), true);
      assert.equal((await store().getUserById('user-1'))!.emailVerifiedAt, null);
    });

    it("updateUserEmail to another user's address throws TesseraError('email_taken') and changes nothing", async () => {
      await seedUser(store(), 1);
      await seedUser(store(), 2);
      const error = await store().updateUserEmail('user-1', 'USER2@example.com', 'user2@example.com', T0).then(() => null, (e: unknown) => e);
      assert.ok(isTesseraError(error, 'email_taken'), `got ${String(error)}`);
      assert.deepEqual(await store().getUserById('user-1'), makeUser(1));
      assert.equal((await store().getUserByEmail('user2@example.com'))!.id, 'user-2');
    });

    it('setEmailVerified marks only the given current address, keeps an earlier time, false otherwise', async () => {
      await seedUser(store(), 1);
      assert.equal(await store().setEmailVerified('user-1', 'other@example.com', T0), false);
      assert.equal((await store().getUserById('user-1'))!.emailVerifiedAt, null);
      assert.equal(await store().setEmailVerified('user-1', 'user1@example.com', T0 + MINUTE), true);
      assert.equal(await store().setEmailVerified('user-1', 'user1@example.com', T0 + DAY), true);
      assert.equal((await store().getUserById('user-1'))!.emailVerifiedAt, T0 + MINUTE);
      assert.equal(await store().setEmailVerified('user-9', 'user9@example.com', T0), false);
    });

    it('a session lookup returns the user with emailVerifiedAt', async () => {
      await seedUser(store(), 1, [['s1']]);
      await store().setEmailVerified('user-1', 'user1@example.com', T0 + 5);
      assert.equal((await store().getSessionAndUser('s1'))!.user.emailVerifiedAt, T0 + 5);
    });
  });
}

function tokenConformance(store: CurrentStore): void {
  describe('account tokens', () => {
    it('create and get round-trip every field; a duplicate id or an unknown user is refused', async () => {
      await seedUser(store(), 1);
      const token = makeToken('t1', 'user-1', { purpose: 'email_change', email: 'Nouveau@Example.com' });
      await store().createAccountToken(token);
      assert.deepEqual(await store().getAccountToken('t1'), token);
      assert.equal(await store().getAccountToken('t2'), null);
      await assert.rejects(store().createAccountToken(makeToken('t1', 'user-1')));
      await assert.rejects(store().createAccountToken(makeToken('t3', 'user-9')));
      assert.equal(await store().getAccountToken('t3'), null);
      (await store().getAccountToken('t1'))!.secretHash = 'mutated';
      assert.deepEqual(await store().getAccountToken('t1'), token);
    });

    it('consume is a compare-and-delete: id, purpose, hash and expiry must all match; it works once', async () => {
      await seedUser(store(), 1);
      const token = makeToken('t1', 'user-1');
      await store().createAccountToken(token);
      assert.equal(await store().consumeAccountToken('t1', 'email_verification', token.secretHash, T0), null, 'another purpose');
      assert.equal(await store().consumeAccountToken('t1', 'password_reset', 'hash-of-other', T0), null, 'another secret');
      assert.equal(await store().consumeAccountToken('t1', 'password_reset', token.secretHash, token.expiresAt), null, 'expired at expiresAt');
      assert.equal(await store().consumeAccountToken('t9', 'password_reset', token.secretHash, T0), null, 'unknown id');
      assert.deepEqual(await store().getAccountToken('t1'), token, 'failed attempts change nothing');
      assert.deepEqual(await store().consumeAccountToken('t1', 'password_reset', token.secretHash, token.expiresAt - 1), token);
      assert.equal(await store().consumeAccountToken('t1', 'password_reset', token.secretHash, T0), null, 'spent');
      assert.equal(await store().getAccountToken('t1'), null);
    });

    it('of concurrent consumptions of one token exactly one succeeds', async () => {
      await seedUser(store(), 1);
      await store().createAccountToken(makeToken('t1', 'user-1'));
      const results = await Promise.all(Array.from({ length: 20 }, () => store().consumeAccountToken('t1', 'password_reset', 'hash-of-t1', T0)));
      assert.equal(results.filter((r) => r !== null).length, 1);
    });

    it('deleteAccountTokens removes the user\'s tokens of the given purposes only', async () => {
      await seedUser(store(), 1);
      await seedUser(store(), 2);
      await store().createAccountToken(makeToken('a-reset', 'user-1'));
      await store().createAccountToken(makeToken('a-verify', 'user-1', { purpose: 'email_verification' }));
      await store().createAccountToken(makeToken('a-change', 'user-1', { purpose: 'email_change' }));
      await store().createAccountToken(makeToken('b-reset', 'user-2'));
      assert.equal(await store().deleteAccountTokens('user-1', ['password_reset', 'email_change']), 2);
      assert.equal(await store().deleteAccountTokens('user-1', []), 0);
      assert.equal(await store().getAccountToken('a-reset'), null);
      assert.equal(await store().getAccountToken('a-change'), null);
      assert.ok(await store().getAccountToken('a-verify'));
      assert.ok(await store().getAccountToken('b-reset'));
    });

    it('deleteUser deletes the user\'s tokens; purgeExpired removes expired ones', async () => {
      await seedUser(store(), 1);
      await seedUser(store(), 2);
      await store().createAccountToken(makeToken('a1', 'user-1'));
      await store().createAccountToken(makeToken('b-old', 'user-2', { expiresAt: T0 + MINUTE }));
      await store().createAccountToken(makeToken('b-new', 'user-2', { expiresAt: T0 + MINUTE + 1 }));
      assert.equal(await store().deleteUser('user-1'), true);
      assert.equal(await store().getAccountToken('a1'), null);
      assert.equal(await store().purgeExpired(T0 + MINUTE), 1);
      assert.equal(await store().getAccountToken('b-old'), null);
      assert.ok(await store().getAccountToken('b-new'));
    });
  });
}

function outboxConformance(store: CurrentStore): void {
  describe('development outbox', () => {
    it('appends and lists newest first, at most limit, every field round-tripped', async () => {
      assert.deepEqual(await store().listOutboxMail({ limit: 10 }), []);
      for (const n of [1, 2, 3]) await store().appendOutboxMail(makeMail(n));
      const all = await store().listOutboxMail({ limit: 10 });
      assert.deepEqual(all.map((m) => m.subject), ['Subject 3', 'Subject 2', 'Subject 1']);
      assert.ok(all[0]!.seq > all[1]!.seq && all[1]!.seq > all[2]!.seq);
      assert.deepEqual(all[2], { seq: all[2]!.seq, ...makeMail(1) });
      assert.deepEqual((await store().listOutboxMail({ limit: 2 })).map((m) => m.subject), ['Subject 3', 'Subject 2']);
      assert.deepEqual(await store().listOutboxMail({ limit: 0 }), []);
    });

    it('purgeExpired removes mail with expiresAt <= now', async () => {
      await store().appendOutboxMail(makeMail(1, { expiresAt: T0 + MINUTE }));
      await store().appendOutboxMail(makeMail(2, { expiresAt: T0 + MINUTE + 1 }));
      assert.equal(await store().purgeExpired(T0 + MINUTE), 1);
      assert.deepEqual((await store().listOutboxMail({ limit: 10 })).map((m) => m.subject), ['Subject 2']);
    });
  });
}

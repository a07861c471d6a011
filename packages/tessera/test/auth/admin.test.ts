import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTesseraError } from '../../src/index.js';
import type { AuthResult, SessionRecord } from '../../src/index.js';
import type { Fixture } from './fixture.js';
import { CLIENT, makeTessera, memoryBus, PASSWORD, signedIn } from './fixture.js';


const reasonOf = (r: AuthResult): string => (r.status === 'anonymous' ? r.reason : 'authenticated');

/** Registers a user and signs it in twice, once per mode. */
async function bothModes(f: Fixture, email = `u${Math.random().toString(36).slice(2)}@example.com`) {
  await f.auth.register({ email, password: PASSWORD });
  return signInBoth(f, email);
}

/** Signs an existing user in twice, once per mode. */
async function signInBoth(f: Fixture, email: string) {
  const cookie = await f.auth.signIn({ email, password: PASSWORD, mode: 'session' }, CLIENT);
  const jwt = await f.auth.signIn({ email, password: PASSWORD, mode: 'jwt' }, CLIENT);
  if (cookie.mode !== 'session' || jwt.mode !== 'jwt') throw new Error('unreachable');
  const session = { headers: { cookie: `${f.auth.cookieNames.session}=${cookie.sessionToken}` } };
  return { email, userId: cookie.user.id, session, jwt, bearer: { authorization: `Bearer ${jwt.accessToken}` } };
}

async function assertRefused(f: Fixture, who: { session: { headers: { cookie: string } }; bearer: { authorization: string } }, message: string): Promise<void> {
  assert.equal(reasonOf(await f.auth.authenticate(who.session.headers)), 'revoked', `${message}: session cookie`);
  assert.equal(reasonOf(await f.auth.authenticate(who.bearer)), 'revoked', `${message}: access token`);
}

async function assertAccepted(f: Fixture, who: { session: { headers: { cookie: string } }; bearer: { authorization: string } }, message: string): Promise<void> {
  assert.equal(reasonOf(await f.auth.authenticate(who.session.headers)), 'authenticated', `${message}: session cookie`);
  assert.equal(reasonOf(await f.auth.authenticate(who.bearer)), 'authenticated', `${message}: access token`);
}

describe('disableUser', () => {
  it('refuses the session cookie, the access token and the refresh token at once; sign-in is refused', async () => {
    const f = await makeTessera();
    const u = await bothModes(f);
    const other = await bothModes(f);
    await assertAccepted(f, u, 'before');
    assert.equal(await f.auth.disableUser(u.userId), true);
    await assertRefused(f, u, 'after disable');
    await assert.rejects(f.auth.refresh(u.jwt.refreshToken), (e) => isTesseraError(e, 'invalid_grant'));
    await assert.rejects(f.auth.signIn({ email: u.email, password: PASSWORD, mode: 'jwt' }, CLIENT), (e) => isTesseraError(e, 'forbidden'));
    // The wrong password still reads as a wrong password: a disabled account is not disclosed.
    await assert.rejects(f.auth.signIn({ email: u.email, password: `${PASSWORD}!` }, CLIENT), (e) => isTesseraError(e, 'invalid_credentials'));
    assert.deepEqual(await f.auth.listSessions(u.userId), []);
    await assertAccepted(f, other, 'another user');
    assert.ok(f.events.some((e) => e.type === 'sessions_ended' && e.reason === 'admin' && e.userId === u.userId));
    assert.ok(f.events.some((e) => e.type === 'user_admin' && e.action === 'disabled'));
  });

  it('also refuses access tokens issued earlier than the records (the per-user "not before")', async () => {
    const f = await makeTessera();
    const u = await bothModes(f);
    f.clock.advanceSeconds(5);
    await f.auth.disableUser(u.userId);
    f.clock.advanceSeconds(1);
    assert.equal(reasonOf(await f.auth.authenticate(u.bearer)), 'revoked');
  });

  it('on a second instance sharing the store: refused after its catch-up', async () => {
    const a = await makeTessera();
    const b = await makeTessera({}, { store: a.store, clock: a.clock });
    const u = await bothModes(a);
    await assertAccepted(b, u, 'B before'); // B has both credentials in its caches now
    assert.equal(await a.auth.disableUser(u.userId), true);
    await b.auth.refreshState();
    await assertRefused(b, u, 'B after catch-up');
    await assert.rejects(b.auth.refresh(u.jwt.refreshToken), (e) => isTesseraError(e, 'invalid_grant'));
  });

  it('on a second instance with a cluster bus: refused at once, without a catch-up', async () => {
    const bus = memoryBus();
    const a = await makeTessera({ clusterBus: bus() });
    const b = await makeTessera({ clusterBus: bus() }, { store: a.store, clock: a.clock });
    const u = await bothModes(a);
    await assertAccepted(b, u, 'B before');
    await a.auth.disableUser(u.userId);
    await assertRefused(b, u, 'B at once');
  });

  it('is idempotent: keeps the first disabledAt and ends anything left; false for an unknown user', async () => {
    const f = await makeTessera();
    const u = await bothModes(f);
    await f.auth.disableUser(u.userId);
    const first = (await f.store.getUserById(u.userId))!.disabledAt;
    f.clock.advanceSeconds(60);
    assert.equal(await f.auth.disableUser(u.userId), true);
    assert.equal((await f.store.getUserById(u.userId))!.disabledAt, first);
    assert.equal(await f.auth.disableUser('no-such-user'), false);
    assert.equal(await f.auth.enableUser('no-such-user'), false);
    assert.equal(await f.auth.deleteUser('no-such-user'), false);
  });

  it('a sign-in racing with the disable never hands out a credential', async () => {
    // The administrator acts after the sign-in checked the password: just before its record is
    // created (the record would outlive the disable), or just after.
    for (const when of ['before', 'after'] as const) {
      for (const mode of ['session', 'jwt'] as const) {
        const f = await makeTessera();
        const email = `race-${when}-${mode}@example.com`;
        const user = await f.auth.register({ email, password: PASSWORD });
        const create = f.store.createSession.bind(f.store);
        f.store.createSession = async (record: SessionRecord) => {
          if (when === 'before') await f.auth.disableUser(user.id);
          await create(record);
          if (when === 'after') await f.auth.disableUser(user.id);
        };
        const label = `${when}, ${mode}`;
        await assert.rejects(f.auth.signIn({ email, password: PASSWORD, mode }, CLIENT), (e) => isTesseraError(e, 'forbidden'), label);
        assert.equal(await f.store.countActiveSessions(f.clock.nowMs()), 0, `${label}: the record was ended`);
      }
    }
  });
});

describe('enableUser', () => {
  it('lets the account sign in again; credentials from before stay refused', async () => {
    const f = await makeTessera();
    const u = await bothModes(f);
    await f.auth.disableUser(u.userId);
    f.clock.advanceSeconds(2);
    assert.equal(await f.auth.enableUser(u.userId), true);
    assert.equal((await f.store.getUserById(u.userId))!.disabledAt, null);
    await assertRefused(f, u, 'old credentials');
    const again = await signInBoth(f, u.email);
    await assertAccepted(f, again, 'new credentials');
    assert.ok((await f.auth.refresh(again.jwt.refreshToken)).accessToken);
  });
});

describe('deleteUser', () => {
  it('removes the account and its records; its credentials are refused; the email is free again', async () => {
    const f = await makeTessera();
    const u = await bothModes(f);
    const other = await bothModes(f);
    assert.equal(await f.auth.deleteUser(u.userId), true);
    assert.equal(await f.auth.getUser(u.userId), null);
    assert.equal(await f.store.getUserById(u.userId), null);
    assert.equal(reasonOf(await f.auth.authenticate(u.session.headers)), 'invalid', 'the record is gone');
    assert.equal(reasonOf(await f.auth.authenticate(u.bearer)), 'revoked', 'the feed refuses its tokens');
    await assert.rejects(f.auth.refresh(u.jwt.refreshToken), (e) => isTesseraError(e, 'invalid_grant'));
    await assert.rejects(f.auth.signIn({ email: u.email, password: PASSWORD }, CLIENT), (e) => isTesseraError(e, 'invalid_credentials'));
    assert.equal(await f.auth.deleteUser(u.userId), false);
    await assertAccepted(f, other, 'another user');

    const reborn = await f.auth.register({ email: u.email, password: PASSWORD });
    assert.notEqual(reborn.id, u.userId);
    const fresh = await signedIn(f, 'session', u.email).catch(() => null);
    assert.equal(fresh, null, 'signedIn registers again: the email is taken by the new account now');
    const result = await f.auth.signIn({ email: u.email, password: PASSWORD }, CLIENT);
    assert.equal(result.user.id, reborn.id);
  });

  it('on a second instance: its cookie is refused at once (the record is gone), its token after catch-up', async () => {
    const a = await makeTessera();
    const b = await makeTessera({ sessionCacheMaxAgeMs: 0 }, { store: a.store, clock: a.clock });
    const u = await bothModes(a);
    await assertAccepted(b, u, 'B before');
    await a.auth.deleteUser(u.userId);
    assert.equal(reasonOf(await b.auth.authenticate(u.session.headers)), 'invalid');
    await b.auth.refreshState();
    assert.equal(reasonOf(await b.auth.authenticate(u.bearer)), 'revoked');
  });
});

describe('listUsers', () => {
  it('pages through every account in id order, with disabledAt; never the password hash', async () => {
    const f = await makeTessera();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await f.auth.register({ email: `list${i}@example.com`, password: PASSWORD })).id);
    await f.auth.disableUser(ids[2]!);
    const seen: string[] = [];
    let page = await f.auth.listUsers({ limit: 2 });
    for (;;) {
      seen.push(...page.users.map((u) => u.id));
      if (page.next === null) break;
      page = await f.auth.listUsers({ afterId: page.next, limit: 2 });
    }
    assert.deepEqual(seen, [...ids].sort());
    const all = (await f.auth.listUsers()).users;
    assert.equal(all.length, 5);
    const disabled = all.find((u) => u.id === ids[2])!;
    assert.equal(disabled.disabledAt, new Date(f.clock.nowMs()).toISOString());
    assert.ok(all.filter((u) => u.id !== ids[2]).every((u) => u.disabledAt === null));
    assert.ok(!JSON.stringify(all).includes('argon2'), 'no password hash');
    assert.deepEqual(Object.keys(all[0]!).sort(), ['createdAt', 'disabledAt', 'email', 'emailVerifiedAt', 'id']);
    for (const limit of [0, -1, 1001, 1.5]) {
      await assert.rejects(f.auth.listUsers({ limit }), (e) => isTesseraError(e, 'invalid_request'), String(limit));
    }
  });
});

describe('operations', () => {
  it('countActiveSessions and revocationLagSeconds', async () => {
    const f = await makeTessera();
    assert.equal(await f.auth.countActiveSessions(), 0);
    const u = await bothModes(f);
    await bothModes(f);
    assert.equal(await f.auth.countActiveSessions(), 4);
    await f.auth.disableUser(u.userId);
    assert.equal(await f.auth.countActiveSessions(), 2);

    assert.equal(f.auth.revocationLagSeconds(), 0);
    f.clock.advanceSeconds(30);
    assert.equal(f.auth.revocationLagSeconds(), 30, 'no catch-up for 30 s');
    await f.auth.refreshState();
    assert.equal(f.auth.revocationLagSeconds(), 0);
  });

  it('every store call is reported as a store_operation event, with the store kind', async () => {
    const f = await makeTessera();
    await signedIn(f, 'session');
    const ops = f.events.flatMap((e) => (e.type === 'store_operation' ? [e] : []));
    assert.ok(ops.length > 0);
    assert.ok(ops.every((e) => e.store === 'memory' && e.ok && e.seconds >= 0 && e.seconds < 1));
    for (const op of ['createUser', 'getUserByEmail', 'createSession', 'appendAudit']) assert.ok(ops.some((e) => e.op === op), op);
    // A failing call is reported with ok: false, then surfaces as unavailable.
    f.store.listUsers = async () => {
      throw new Error('connection lost');
    };
    await assert.rejects(f.auth.listUsers(), (e) => isTesseraError(e, 'unavailable'));
    assert.ok(f.events.some((e) => e.type === 'store_operation' && e.op === 'listUsers' && !e.ok));
  });
});

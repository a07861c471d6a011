import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTesseraError } from '../../src/index.js';
import type { AuditEntry, PublicAuditEntry } from '../../src/index.js';
import type { Fixture } from './fixture.js';
import { CLIENT, makeTessera, PASSWORD, signedIn } from './fixture.js';

const NEW_PASSWORD = 'a different passphrase entirely';

/** Every entry of the log, oldest first. */
async function everything(f: Fixture): Promise<PublicAuditEntry[]> {
  return (await f.auth.listAudit({ limit: 1000 })).entries.reverse();
}

const shape = (e: PublicAuditEntry) => [e.type, e.userId, e.sessionId, e.ip, e.detail];

describe('audit log', () => {
  it('records each action with its user, session, address and detail, and no secret at all', async () => {
    const f = await makeTessera({ refreshReuseLeewaySeconds: 10 });
    const email = 'Audited.Person@example.com';
    const secrets: string[] = [PASSWORD, NEW_PASSWORD, email, email.toLowerCase()];
    const ip = CLIENT.ip;

    const userId = (await f.auth.register({ email, password: PASSWORD }, CLIENT)).id;
    const first = await f.auth.signIn({ email, password: PASSWORD }, CLIENT);
    if (first.mode !== 'session') throw new Error('unreachable');
    const cookie = { sessionId: first.session.id };
    secrets.push(first.sessionToken, first.sessionToken.split('.')[1]!);
    const jwt = await f.auth.signIn({ email, password: PASSWORD, mode: 'jwt' }, CLIENT);
    if (jwt.mode !== 'jwt') throw new Error('unreachable');
    secrets.push(jwt.accessToken, jwt.refreshToken, jwt.refreshToken.split('.')[1]!);

    await assert.rejects(f.auth.signIn({ email, password: 'not the password at all' }, CLIENT));
    secrets.push('not the password at all');
    await assert.rejects(f.auth.signIn({ email: 'nobody@example.com', password: PASSWORD, mode: 'jwt' }, CLIENT));
    secrets.push('nobody@example.com');

    // Refresh once, then present the spent token after the leeway: reuse.
    const rotated = await f.auth.refresh(jwt.refreshToken, CLIENT);
    secrets.push(rotated.refreshToken, rotated.accessToken);
    f.clock.advanceSeconds(11);
    await assert.rejects(f.auth.refresh(jwt.refreshToken, { ip: '198.51.100.9' }));

    const third = await f.auth.signIn({ email, password: PASSWORD, mode: 'jwt' }, CLIENT);
    if (third.mode !== 'jwt') throw new Error('unreachable');
    secrets.push(third.refreshToken, third.accessToken);
    assert.equal(await f.auth.endSession(userId, third.sessionId, 'ended_by_user', CLIENT), true);
    assert.equal(await f.auth.endSession(userId, third.sessionId, 'ended_by_user', CLIENT), false, 'nothing ended, nothing recorded');

    const fourth = await f.auth.signIn({ email, password: PASSWORD, mode: 'jwt' }, CLIENT);
    if (fourth.mode !== 'jwt') throw new Error('unreachable');
    secrets.push(fourth.refreshToken);
    await f.auth.signOutWithRefreshToken(fourth.refreshToken, CLIENT);
    await f.auth.endSession(userId, cookie.sessionId, 'logout', CLIENT);

    const changed = await f.auth.changePassword({ userId, mode: 'session', currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, CLIENT);
    if (changed.mode !== 'session') throw new Error('unreachable');
    secrets.push(changed.sessionToken);
    await f.auth.endAllSessions(userId, 'logout_all', CLIENT);
    const { kid } = await f.auth.rotateKeys();
    await f.auth.rotateKeys({ dryRun: true });
    await f.auth.disableUser(userId);
    await assert.rejects(f.auth.signIn({ email, password: NEW_PASSWORD }, CLIENT), (e) => isTesseraError(e, 'forbidden'));
    await f.auth.enableUser(userId);
    await f.auth.deleteUser(userId);

    const log = await everything(f);
    assert.deepEqual(log.map(shape), [
      ['sign_up', userId, null, ip, null],
      ['sign_in', userId, cookie.sessionId, ip, 'mode=session'],
      ['sign_in', userId, jwt.sessionId, ip, 'mode=jwt'],
      ['sign_in_failed', userId, null, ip, 'mode=session reason=invalid_credentials'],
      ['sign_in_failed', null, null, ip, 'mode=jwt reason=invalid_credentials'],
      ['refresh_reuse_detected', userId, jwt.sessionId, '198.51.100.9', 'generation=1'],
      ['sign_in', userId, third.sessionId, ip, 'mode=jwt'],
      ['session_ended', userId, third.sessionId, ip, 'by=user'],
      ['sign_in', userId, fourth.sessionId, ip, 'mode=jwt'],
      ['sign_out', userId, fourth.sessionId, ip, null],
      ['sign_out', userId, cookie.sessionId, ip, null],
      ['password_changed', userId, changed.session.id, ip, 'sessions_ended=0'],
      ['sessions_ended_all', userId, null, ip, 'by=user count=1'],
      ['key_rotated', null, null, null, `kid=${kid} alg=EdDSA`],
      ['user_disabled', userId, null, null, 'sessions_ended=0'],
      ['sign_in_failed', userId, null, ip, 'mode=session reason=disabled'],
      ['user_enabled', userId, null, null, null],
      ['user_deleted', userId, null, null, 'sessions_ended=0'],
    ]);
    // Times are ISO, in order; seqs strictly increase.
    for (let i = 1; i < log.length; i++) {
      assert.ok(log[i]!.seq > log[i - 1]!.seq);
      assert.ok(Date.parse(log[i]!.at) >= Date.parse(log[i - 1]!.at));
    }
    const text = JSON.stringify(log);
    for (const secret of secrets) assert.ok(!text.includes(secret), `the log holds a secret: ${secret.slice(0, 12)}…`);
    // Every entry of the deleted account is still there, by its opaque id.
    assert.equal((await f.auth.listAudit({ userId })).entries.length, log.length - 2);
  });

  it('authenticate() never writes to the audit log', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'session');
    const t = await signedIn(f, 'jwt');
    const appends: AuditEntry[] = [];
    const append = f.store.appendAudit.bind(f.store);
    f.store.appendAudit = async (entry) => {
      appends.push({ seq: 0, ...entry });
      return append(entry);
    };
    for (let i = 0; i < 10; i++) {
      f.clock.advanceSeconds(61); // past the touch interval: the session is renewed (a store write)
      assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated');
      assert.equal((await f.auth.authenticate(t.headers)).status, 'authenticated');
      await f.auth.authenticate({ authorization: 'Bearer nonsense' });
      await f.auth.authenticate({ cookie: `${f.auth.cookieNames.session}=nonsense` });
    }
    assert.deepEqual(appends, []);
  });

  it('a sign-in refused by the throttle is not recorded (no write per flooded request)', async () => {
    const f = await makeTessera({ loginMaxFailures: 2 });
    const s = await signedIn(f, 'session');
    for (let i = 0; i < 2; i++) await assert.rejects(f.auth.signIn({ email: s.user.email, password: 'wrong wrong wrong!' }, CLIENT));
    const before = (await everything(f)).length;
    for (let i = 0; i < 5; i++) {
      await assert.rejects(f.auth.signIn({ email: s.user.email, password: 'wrong wrong wrong!' }, CLIENT), (e) => isTesseraError(e, 'rate_limited'));
    }
    assert.equal((await everything(f)).length, before);
  });

  it('pages newest first per user; next is null on the last page; bad queries are refused', async () => {
    const f = await makeTessera();
    const a = await signedIn(f, 'session');
    const b = await signedIn(f, 'session');
    for (let i = 0; i < 4; i++) await f.auth.signIn({ email: a.user.email, password: PASSWORD }, CLIENT);
    // a: sign_up + 5 sign_in; b: sign_up + sign_in.
    const seen: PublicAuditEntry[] = [];
    let page = await f.auth.listAudit({ userId: a.user.id, limit: 4 });
    assert.equal(page.entries.length, 4);
    for (;;) {
      seen.push(...page.entries);
      if (page.next === null) break;
      page = await f.auth.listAudit({ userId: a.user.id, beforeSeq: page.next, limit: 4 });
    }
    assert.equal(seen.length, 6);
    assert.ok(seen.every((e) => e.userId === a.user.id));
    assert.equal(seen.at(-1)!.type, 'sign_up');
    assert.ok(seen.every((e, i) => i === 0 || e.seq < seen[i - 1]!.seq), 'newest first');
    const exact = await f.auth.listAudit({ userId: b.user.id, limit: 2 });
    assert.equal(exact.entries.length, 2);
    assert.equal(exact.next, null, 'exactly limit entries: no further page');
    assert.equal((await f.auth.listAudit()).entries.length, 8, 'everyone, default limit 50');
    for (const query of [{ limit: 0 }, { limit: 1001 }, { limit: 2.5 }, { beforeSeq: 0 }, { beforeSeq: -3 }, { beforeSeq: 1.5 }]) {
      await assert.rejects(f.auth.listAudit(query), (e) => isTesseraError(e, 'invalid_request'), JSON.stringify(query));
    }
  });

  it('audit: false keeps no log', async () => {
    const f = await makeTessera({ audit: false });
    const s = await signedIn(f, 'jwt');
    await f.auth.endAllSessions(s.user.id);
    await f.auth.disableUser(s.user.id);
    assert.deepEqual((await f.auth.listAudit()).entries, []);
    assert.equal(f.auth.options.audit, false);
  });

  it('a failing append fails the call with unavailable (the store is down): never a silent gap', async () => {
    const f = await makeTessera();
    await f.auth.register({ email: 'down@example.com', password: PASSWORD });
    f.store.appendAudit = async () => {
      throw new Error('connection lost');
    };
    await assert.rejects(f.auth.signIn({ email: 'down@example.com', password: PASSWORD }, CLIENT), (e) => isTesseraError(e, 'unavailable'));
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { TesseraError } from '../../src/index.js';
import { CLIENT, makeTessera, PASSWORD, signedIn } from './fixture.js';

describe('session mode', () => {
  it('signs in with a fresh id.secret cookie whose secret is stored only as its SHA-256', async () => {
    const f = await makeTessera();
    const a = await signedIn(f, 'session', 'ada@example.com');
    const b = await f.auth.signIn({ email: 'ADA@example.com', password: PASSWORD }, CLIENT);
    assert.equal(a.result.mode, 'session');
    assert.equal(b.mode, 'session');
    if (a.result.mode !== 'session' || b.mode !== 'session') return;
    assert.notEqual(a.result.sessionToken, b.sessionToken, 'a new token on every login');
    const [id, secret] = a.result.sessionToken.split('.');
    assert.equal(Buffer.from(secret!, 'base64url').length, 32, '256-bit secret');
    const stored = (await f.store.getSessionAndUser(id!))!.session;
    assert.equal(stored.secretHash, createHash('sha256').update(secret!).digest('base64url'));
    assert.ok(!JSON.stringify(stored).includes(secret!), 'the secret itself is not stored');
    assert.match(a.result.setCookies[0]!, /^__Host-tessera_session=[^;]+; Max-Age=2592000; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it('compares emails case-insensitively, Greek final sigma included: one address in any case is one account', async () => {
    const f = await makeTessera();
    await f.auth.register({ email: 'σοφοσ@example.com', password: PASSWORD });
    for (const email of ['ΣΟΦΟΣ@example.com', 'σοφος@example.com', 'Σοφος@EXAMPLE.com']) {
      const r = await f.auth.signIn({ email, password: PASSWORD }, CLIENT);
      assert.equal(r.mode, 'session', email);
      await assert.rejects(f.auth.register({ email, password: PASSWORD }), (e) => e instanceof TesseraError && e.code === 'email_taken', email);
    }
  });

  it('authenticates the cookie and refuses a wrong secret for a real id', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'session');
    const ok = await f.auth.authenticate(s.headers);
    assert.equal(ok.status, 'authenticated');
    assert.equal(ok.status === 'authenticated' && ok.user?.email.startsWith('u'), true);
    const forged = `${s.sessionId}.${Buffer.alloc(32, 1).toString('base64url')}`;
    const bad = await f.auth.authenticate({ cookie: `__Host-tessera_session=${forged}` });
    assert.deepEqual(bad, { status: 'anonymous', reason: 'invalid', credentialSent: true, mode: 'session' });
  });

  it('reads the session token only from the cookie: a Bearer session token is not a session', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'session');
    const token = s.headers.cookie!.split('=')[1]!;
    const r = await f.auth.authenticate({ authorization: `Bearer ${token}` });
    assert.equal(r.status, 'anonymous');
  });

  it('refuses duplicate session cookies instead of guessing', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'session');
    const r = await f.auth.authenticate({ cookie: `${s.headers.cookie}; ${s.headers.cookie}` });
    assert.equal(r.status === 'anonymous' && r.reason, 'ambiguous');
  });

  it('enforces the idle timeout on the server', async () => {
    const f = await makeTessera({ sessionIdleTimeoutSeconds: 600, sessionAbsoluteTimeoutSeconds: 3600 });
    const s = await signedIn(f, 'session');
    f.clock.advanceSeconds(601);
    const r = await f.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'expired');
  });

  it('slides the idle expiry, writing at most once per interval, and never past the absolute expiry', async () => {
    const f = await makeTessera({ sessionIdleTimeoutSeconds: 600, sessionAbsoluteTimeoutSeconds: 1500 });
    const s = await signedIn(f, 'session');
    let touches = 0;
    const touch = f.store.touchSession.bind(f.store);
    f.store.touchSession = async (...args) => { touches++; return touch(...args); };
    for (let i = 0; i < 10; i++) assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated');
    assert.equal(touches, 0, 'no write while within the touch interval');
    // Use it every 500 s: the idle timeout (600 s) alone would never end it...
    for (let t = 500; t < 1500; t += 500) {
      f.clock.advanceSeconds(500);
      assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated', `alive at ${t}s`);
    }
    assert.equal(touches, 2);
    // ...but the absolute timeout does.
    f.clock.advanceSeconds(500);
    const r = await f.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'expired');
  });

  it('ends one record, all records, and refuses them at once', async () => {
    const f = await makeTessera();
    const a = await signedIn(f, 'session', 'x@example.com');
    const b = await f.auth.signIn({ email: 'x@example.com', password: PASSWORD, mode: 'jwt' }, CLIENT);
    assert.equal((await f.auth.listSessions(a.user.id, a.sessionId)).length, 2);
    assert.equal(await f.auth.endSession(a.user.id, a.sessionId), true);
    assert.equal((await f.auth.authenticate(a.headers)).status, 'anonymous');
    assert.equal(await f.auth.endSession(a.user.id, a.sessionId), false, 'already ended');
    assert.equal(b.mode, 'jwt');
    if (b.mode !== 'jwt') return;
    assert.equal((await f.auth.authenticate({ authorization: `Bearer ${b.accessToken}` })).status, 'authenticated');
    assert.equal(await f.auth.endAllSessions(a.user.id), 1);
    const r = await f.auth.authenticate({ authorization: `Bearer ${b.accessToken}` });
    assert.equal(r.status === 'anonymous' && r.reason, 'revoked');
  });

  it('does not let a user end another user\'s record', async () => {
    const f = await makeTessera();
    const victim = await signedIn(f, 'session');
    const attacker = await signedIn(f, 'session');
    assert.equal(await f.auth.endSession(attacker.user.id, victim.sessionId), false);
    assert.equal((await f.auth.authenticate(victim.headers)).status, 'authenticated');
  });

  it('changes the password: every record ends, the caller continues on a fresh one', async () => {
    const f = await makeTessera();
    const a = await signedIn(f, 'session', 'p@example.com');
    const other = await f.auth.signIn({ email: 'p@example.com', password: PASSWORD, mode: 'jwt' }, CLIENT);
    await assert.rejects(
      f.auth.changePassword({ userId: a.user.id, mode: 'session', currentPassword: 'wrong password entirely', newPassword: 'a brand new passphrase' }, CLIENT),
      (e: unknown) => e instanceof TesseraError && e.code === 'invalid_credentials',
    );
    const next = await f.auth.changePassword({ userId: a.user.id, mode: 'session', currentPassword: PASSWORD, newPassword: 'a brand new passphrase' }, CLIENT);
    assert.equal(next.mode, 'session');
    if (next.mode !== 'session' || other.mode !== 'jwt') return;
    assert.notEqual(next.session.id, a.sessionId);
    assert.equal((await f.auth.authenticate(a.headers)).status, 'anonymous', 'old cookie refused');
    assert.equal((await f.auth.authenticate({ authorization: `Bearer ${other.accessToken}` })).status, 'anonymous', 'other device refused');
    assert.equal((await f.auth.authenticate({ cookie: `__Host-tessera_session=${next.sessionToken}` })).status, 'authenticated');
    await assert.rejects(f.auth.signIn({ email: 'p@example.com', password: PASSWORD }, CLIENT), { code: 'invalid_credentials' });
    assert.equal((await f.auth.signIn({ email: 'p@example.com', password: 'a brand new passphrase' }, CLIENT)).mode, 'session');
  });

  it('throttles wrong current passwords on password change, like sign-in failures', async () => {
    const f = await makeTessera({ loginMaxFailures: 3 });
    const s = await signedIn(f, 'session');
    const attempt = (currentPassword: string) => f.auth.changePassword({ userId: s.user.id, mode: 'session', currentPassword, newPassword: 'a brand new passphrase' }, CLIENT);
    for (let i = 0; i < 3; i++) await assert.rejects(attempt('guess number ' + i), { code: 'invalid_credentials' });
    await assert.rejects(attempt(PASSWORD), { code: 'rate_limited' }, 'even the right password waits');
    f.clock.advanceSeconds(900);
    assert.equal((await attempt(PASSWORD)).mode, 'session');
  });

  it('a store outage is "unavailable", never anonymous and never authenticated', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'session');
    f.store.getSessionAndUser = async () => { throw new Error('connection reset'); };
    await assert.rejects(f.auth.authenticate(s.headers), (e: unknown) => e instanceof TesseraError && e.code === 'unavailable' && e.retryAfterSeconds === 1);
  });
});

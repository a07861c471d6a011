import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { body, cookiesOf, GOOD_PASSWORD, signIn, signUpAndIn } from '../helpers/test-server.js';
import { freshEmail, MAIL_MODES, startMailTestServer } from '../helpers/mail.js';
import type { MailTestServer } from '../helpers/mail.js';

const INVALID_LINK = { error: { code: 'invalid_request', message: 'The link is invalid or has expired.' } };
const NEW_PASSWORD = 'a brand new passphrase, long enough';

for (const mode of MAIL_MODES) {
  describe(`password reset (${mode})`, () => {
    let m: MailTestServer;
    before(async () => { m = await startMailTestServer(mode, { manualClock: true }); });
    after(async () => { await m.close(); });

    const request = (email: string) => m.s.app.inject({ method: 'POST', url: '/auth/password-reset', payload: { email } });
    const confirm = (token: unknown, newPassword = NEW_PASSWORD) =>
      m.s.app.inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token, newPassword } });
    const login = (email: string, password: string) => m.s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });

    it('mails a reset link; the link sets the password once; a notice follows', async () => {
      const { email } = await signUpAndIn(m.s, 'session', freshEmail());
      const res = await request(` ${email.toUpperCase()} `);
      assert.equal(res.statusCode, 202);
      const mail = await m.last(email, /^Reset your password$/);
      assert.match(mail.link!, /^http:\/\/127\.0\.0\.1:3000\/#\/reset-password\?token=/);
      assert.match(mail.text, /expires in 30 minutes/);

      const weak = await confirm(mail.token, 'password');
      assert.equal(weak.statusCode, 400);
      assert.equal(body(weak).error.code, 'weak_password', 'the policy of sign-up');
      const done = await confirm(mail.token);
      assert.equal(done.statusCode, 204, done.body);
      assert.equal(res.headers['cache-control'], 'no-store');

      assert.equal((await login(email, GOOD_PASSWORD)).statusCode, 401, 'the old password is gone');
      assert.equal((await login(email, NEW_PASSWORD)).statusCode, 200);
      assert.deepEqual(body(await confirm(mail.token)), INVALID_LINK, 'single use');
      const notice = await m.last(email, /^Your password was changed$/);
      assert.match(notice.text, /Every device was signed out/);
      assert.equal(notice.token, null);
    });

    it('ends every session and token family of the account at once, in both modes', async () => {
      const email = freshEmail();
      const cookie = await signUpAndIn(m.s, 'session', email);
      const jwt = await signIn(m.s, 'jwt', email);
      for (const h of [cookie.headers, jwt.headers]) assert.equal((await m.s.app.inject({ url: '/auth/me', headers: h })).statusCode, 200);
      await request(email);
      assert.equal((await confirm((await m.last(email, /^Reset/)).token)).statusCode, 204);
      for (const h of [cookie.headers, jwt.headers]) {
        const res = await m.s.app.inject({ url: '/auth/me', headers: h });
        assert.equal(res.statusCode, 401, JSON.stringify(h));
      }
      const refresh = await m.s.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: jwt.body.refreshToken } });
      assert.equal(refresh.statusCode, 401);
      assert.equal(body(refresh).error.code, 'invalid_grant');
    });

    it('an expired link fails (30 min by default); a newer link still works', async () => {
      const { email } = await signUpAndIn(m.s, 'jwt', freshEmail());
      await request(email);
      const old = await m.last(email, /^Reset/);
      m.s.clock!.advanceSeconds(30 * 60);
      assert.deepEqual(body(await confirm(old.token)), INVALID_LINK);
      await request(email);
      const fresh = await m.last(email, /^Reset/);
      assert.notEqual(fresh.token, old.token);
      assert.equal((await confirm(fresh.token)).statusCode, 204);
    });

    it("a link changes its own account's password only; other purposes' tokens fail", async () => {
      const a = freshEmail('a');
      const b = freshEmail('b');
      await signUpAndIn(m.s, 'session', a);
      await signUpAndIn(m.s, 'session', b);
      const verification = await m.last(b, /^Verify/);
      assert.deepEqual(body(await confirm(verification.token)), INVALID_LINK, 'a verification token resets nothing');
      await request(a);
      assert.equal((await confirm((await m.last(a, /^Reset/)).token)).statusCode, 204);
      assert.equal((await login(b, GOOD_PASSWORD)).statusCode, 200, "B's password is untouched");
      assert.equal((await login(a, NEW_PASSWORD)).statusCode, 200);
    });

    it('a reset lifts the 100-failure account lock (and proves the address)', async () => {
      const { email } = await signUpAndIn(m.s, 'session', freshEmail());
      for (let i = 0; i < 100; i++) {
        const res = await m.s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'wrong password number ' + i }, remoteAddress: `10.9.${i >> 3}.${i & 7}` });
        assert.equal(res.statusCode, 401);
      }
      const locked = await m.s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD }, remoteAddress: '10.10.0.1' });
      assert.equal(locked.statusCode, 429, 'the account is locked');
      await request(email);
      assert.equal((await confirm((await m.last(email, /^Reset/)).token)).statusCode, 204);
      const after = await m.s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: NEW_PASSWORD }, remoteAddress: '10.10.0.1' });
      assert.equal(after.statusCode, 200, after.body);
      assert.ok(body(after).user.emailVerifiedAt !== null, 'the reset link reached the address');
    });

    it('writes password_reset_requested and password_reset to the audit log, without the token', async () => {
      const me = await signUpAndIn(m.s, 'jwt', freshEmail());
      await request(me.email);
      const { token } = await m.last(me.email, /^Reset/);
      await confirm(token);
      const again = await signIn(m.s, 'jwt', me.email, NEW_PASSWORD);
      const audit = await m.s.app.inject({ url: '/auth/audit', headers: again.headers });
      const types = body(audit).entries.map((e: { type: string }) => e.type);
      assert.deepEqual(types.slice(0, 3), ['sign_in', 'password_reset', 'password_reset_requested']);
      const reset = body(audit).entries[1];
      assert.match(reset.detail, /^sessions_ended=1$/);
      assert.ok(!audit.body.includes(token!.split('.')[1]!));
    });

    it('a malformed email is 400 invalid_request (its shape, not an account, decides)', async () => {
      const res = await request('not an email');
      assert.equal(res.statusCode, 400);
      assert.equal(body(res).error.code, 'invalid_request');
      assert.equal(cookiesOf(res)['__Host-tessera_session'], undefined);
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { body, GOOD_PASSWORD, signIn, signUpAndIn } from '../helpers/test-server.js';
import { freshEmail, MAIL_MODES, startMailTestServer } from '../helpers/mail.js';
import type { MailTestServer } from '../helpers/mail.js';

const INVALID_LINK = { error: { code: 'invalid_request', message: 'The link is invalid or has expired.' } };

for (const mode of MAIL_MODES) {
  describe(`email change (${mode})`, () => {
    let m: MailTestServer;
    before(async () => { m = await startMailTestServer(mode, { manualClock: true }); });
    after(async () => { await m.close(); });

    const change = (headers: Record<string, string>, newEmail: string, currentPassword = GOOD_PASSWORD) =>
      m.s.app.inject({ method: 'POST', url: '/auth/email', headers, payload: { newEmail, currentPassword } });
    const confirm = (token: unknown) => m.s.app.inject({ method: 'POST', url: '/auth/email/confirm', payload: { token } });
    const login = (email: string) => m.s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD } });

    it('needs a session and the current password', async () => {
      const me = await signUpAndIn(m.s, 'session', freshEmail());
      assert.equal((await change({}, freshEmail())).statusCode, 401);
      const wrong = await change(me.headers, freshEmail(), 'not my password, sorry');
      assert.equal(wrong.statusCode, 401);
      assert.equal(body(wrong).error.code, 'invalid_credentials');
      const same = await change(me.headers, me.email.toUpperCase());
      assert.equal(same.statusCode, 400);
    });

    it('mails a link to the new address and a notice to the old; the link changes and verifies it, once', async () => {
      const old = freshEmail('old');
      const me = await signUpAndIn(m.s, 'jwt', old);
      const next = freshEmail('new');
      const res = await change(me.headers, next);
      assert.equal(res.statusCode, 202, res.body);
      const link = await m.last(next, /^Confirm your new email address$/);
      assert.match(link.link!, /^http:\/\/127\.0\.0\.1:3000\/#\/confirm-email\?token=/);
      const notice = await m.last(old, /^A change of your email address was requested$/);
      assert.ok(notice.text.includes(next), 'the old address learns where the account is going');
      assert.equal(notice.token, null, 'and gets no link');

      const ok = await confirm(link.token);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(body(ok).user.email, next);
      assert.ok(body(ok).user.emailVerifiedAt !== null);
      assert.deepEqual(body(await confirm(link.token)), INVALID_LINK, 'single use');
      assert.equal((await login(old)).statusCode, 401);
      assert.equal((await login(next)).statusCode, 200);
      const who = await m.s.app.inject({ url: '/auth/me', headers: me.headers });
      assert.equal(body(who).user.email, next, 'the session goes on, with the new address');
      await m.last(old, /^Your email address was changed$/);
    });

    it('409 email_taken when another account took the address before the confirmation', async () => {
      const me = await signUpAndIn(m.s, 'session', freshEmail());
      const next = freshEmail('contested');
      assert.equal((await change(me.headers, next)).statusCode, 202);
      const { token } = await m.last(next, /^Confirm/);
      await signUpAndIn(m.s, 'session', next);
      const res = await confirm(token);
      assert.equal(res.statusCode, 409);
      assert.equal(body(res).error.code, 'email_taken');
      assert.equal((await login(me.email)).statusCode, 200, 'the account keeps its address');
    });

    it('409 at once when the address is taken already', async () => {
      const taken = freshEmail('taken');
      await signUpAndIn(m.s, 'session', taken);
      const me = await signUpAndIn(m.s, 'session', freshEmail());
      const res = await change(me.headers, taken);
      assert.equal(res.statusCode, 409);
    });

    it('an expired link fails, and only the newest request can be confirmed', async () => {
      const me = await signUpAndIn(m.s, 'session', freshEmail());
      const first = freshEmail('first');
      const second = freshEmail('second');
      await change(me.headers, first);
      await change(me.headers, second);
      assert.deepEqual(body(await confirm((await m.last(first, /^Confirm/)).token)), INVALID_LINK, 'superseded');
      m.s.clock!.advanceSeconds(24 * 3600);
      assert.deepEqual(body(await confirm((await m.last(second, /^Confirm/)).token)), INVALID_LINK, 'expired');
    });

    it("a link changes its own account only; other purposes' tokens fail", async () => {
      const a = await signUpAndIn(m.s, 'session', freshEmail('a'));
      const verification = await m.last(a.email, /^Verify/);
      assert.deepEqual(body(await confirm(verification.token)), INVALID_LINK);
      const b = await signUpAndIn(m.s, 'session', freshEmail('b'));
      const target = freshEmail('target');
      await change(b.headers, target);
      assert.equal(body(await confirm((await m.last(target, /^Confirm/)).token)).user.id, b.userId);
      const meA = await signIn(m.s, 'session', a.email);
      assert.equal(body(await m.s.app.inject({ url: '/auth/me', headers: meA.headers })).user.email, a.email);
    });

    it('a change ends pending reset links (they went to the old address), and is audited', async () => {
      const me = await signUpAndIn(m.s, 'jwt', freshEmail());
      await m.s.app.inject({ method: 'POST', url: '/auth/password-reset', payload: { email: me.email } });
      const reset = await m.last(me.email, /^Reset/);
      const next = freshEmail('moved');
      await change(me.headers, next);
      assert.equal((await confirm((await m.last(next, /^Confirm/)).token)).statusCode, 200);
      const stale = await m.s.app.inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token: reset.token, newPassword: 'some other long passphrase' } });
      assert.deepEqual(body(stale), INVALID_LINK);
      const audit = body(await m.s.app.inject({ url: '/auth/audit', headers: me.headers })).entries.map((e: { type: string }) => e.type);
      assert.deepEqual(audit.slice(0, 3), ['email_changed', 'email_change_requested', 'password_reset_requested']);
    });

    it('per-account budget: the sixth request in an hour is 429', async () => {
      const me = await signUpAndIn(m.s, 'session', freshEmail());
      for (let i = 0; i < 5; i++) assert.equal((await change(me.headers, freshEmail('many'))).statusCode, 202);
      const limited = await change(me.headers, freshEmail('many'));
      assert.equal(limited.statusCode, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
    });
  });
}

describe('mail templates over the wire', () => {
  it('escape every interpolated value in HTML (an address may hold <, & and quotes)', async () => {
    const m = await startMailTestServer('smtp');
    try {
      const me = await signUpAndIn(m.s, 'session', freshEmail());
      const odd = `x<b>&'"y-${Date.now()}@example.com`;
      assert.equal((await m.s.app.inject({ method: 'POST', url: '/auth/email', headers: me.headers, payload: { newEmail: odd, currentPassword: GOOD_PASSWORD } })).statusCode, 202);
      const notice = await m.last(me.email, /^A change/);
      assert.ok(notice.text.includes(odd), 'plain text as is');
      assert.ok(!notice.html.includes('<b>'), 'no markup from input');
      assert.ok(notice.html.includes('x&lt;b&gt;&amp;&#39;&quot;y-'), notice.html);
    } finally {
      await m.close();
    }
  });
});

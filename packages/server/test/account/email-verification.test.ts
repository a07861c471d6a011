import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { body, GOOD_PASSWORD, signIn } from '../helpers/test-server.js';
import { freshEmail, MAIL_MODES, startMailTestServer } from '../helpers/mail.js';
import type { MailTestServer } from '../helpers/mail.js';

const INVALID_LINK = { error: { code: 'invalid_request', message: 'The link is invalid or has expired.' } };

for (const mode of MAIL_MODES) {
  describe(`email verification (${mode})`, () => {
    let m: MailTestServer;
    before(async () => { m = await startMailTestServer(mode, { manualClock: true }); });
    after(async () => { await m.close(); });

    const register = async (email: string) => {
      const res = await m.s.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
      assert.equal(res.statusCode, 201, res.body);
      return body(res).user as { id: string; emailVerifiedAt: string | null };
    };
    const verify = (token: unknown) => m.s.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { token } });

    it('sign-up mails a link to the UI route and the token as a code; the link works once', async () => {
      const email = freshEmail();
      const user = await register(email);
      assert.equal(user.emailVerifiedAt, null);
      const mail = await m.last(email, /^Verify your email address$/);
      assert.equal(mail.to, email);
      assert.match(mail.link!, /^http:\/\/127\.0\.0\.1:3000\/#\/verify-email\?token=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      assert.ok(mail.text.includes(mail.token!), 'the code is in the text');
      assert.ok(mail.html.includes(mail.token!), 'and in the HTML');

      const ok = await verify(mail.token);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(body(ok).user.id, user.id);
      assert.ok(Date.parse(body(ok).user.emailVerifiedAt) > 0);
      const me = await signIn(m.s, 'session', email);
      const who = await m.s.app.inject({ url: '/auth/me', headers: me.headers });
      assert.equal(body(who).user.emailVerifiedAt, body(ok).user.emailVerifiedAt);

      const again = await verify(mail.token);
      assert.equal(again.statusCode, 400);
      assert.deepEqual(body(again), INVALID_LINK);
    });

    it('an expired link fails (24 h by default)', async () => {
      const email = freshEmail();
      await register(email);
      const { token } = await m.last(email, /^Verify/);
      m.s.clock!.advanceSeconds(24 * 3600);
      const res = await verify(token);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(body(res), INVALID_LINK);
    });

    it('a link verifies its own account only; a tampered or malformed token fails alike', async () => {
      const a = freshEmail('a');
      const b = freshEmail('b');
      await register(a);
      const userB = await register(b);
      const tokenA = (await m.last(a, /^Verify/)).token!;
      const tampered = `${tokenA.slice(0, -1)}${tokenA.endsWith('A') ? 'B' : 'A'}`;
      for (const bad of [tampered, `${tokenA}x`, 'nonsense', tokenA.split('.')[0]]) assert.deepEqual(body(await verify(bad)), INVALID_LINK, bad);
      assert.equal(body(await verify(tokenA)).user.email, a);
      const meB = await signIn(m.s, 'jwt', b);
      const who = await m.s.app.inject({ url: '/auth/me', headers: meB.headers });
      assert.equal(body(who).user.id, userB.id);
      assert.equal(body(who).user.emailVerifiedAt, null, 'B is still unverified');
    });

    it('a token of another purpose (password reset) does not verify, and stays usable for its own', async () => {
      const email = freshEmail();
      await register(email);
      await m.s.app.inject({ method: 'POST', url: '/auth/password-reset', payload: { email } });
      const reset = await m.last(email, /^Reset your password$/);
      assert.deepEqual(body(await verify(reset.token)), INVALID_LINK);
      const used = await m.s.app.inject({ method: 'POST', url: '/auth/password-reset/confirm', payload: { token: reset.token, newPassword: 'another long passphrase here' } });
      assert.equal(used.statusCode, 204, used.body);
    });

    it('resend: signed in only, a new working link, refused once verified, throttled per account', async () => {
      const email = freshEmail();
      await register(email);
      assert.equal((await m.s.app.inject({ method: 'POST', url: '/auth/verify-email/resend' })).statusCode, 401);
      const me = await signIn(m.s, 'jwt', email);
      const before = (await m.inbox()).length;
      const res = await m.s.app.inject({ method: 'POST', url: '/auth/verify-email/resend', headers: me.headers });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal((await m.inbox()).length, before + 1);
      const fresh = await m.last(email, /^Verify/);
      for (let i = 1; i < 5; i++) assert.equal((await m.s.app.inject({ method: 'POST', url: '/auth/verify-email/resend', headers: me.headers })).statusCode, 202);
      const limited = await m.s.app.inject({ method: 'POST', url: '/auth/verify-email/resend', headers: me.headers });
      assert.equal(limited.statusCode, 429);
      assert.equal(body(limited).error.code, 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.equal((await verify(fresh.token)).statusCode, 200);
      const done = await m.s.app.inject({ method: 'POST', url: '/auth/verify-email/resend', headers: me.headers });
      assert.equal(done.statusCode, 400);
      assert.equal(body(done).error.message, 'The email address is already verified.');
    });

    it('never logs a token', async () => {
      const tokens = (await m.inbox()).map((mail) => mail.token).filter((t): t is string => t !== null);
      assert.ok(tokens.length > 3);
      for (const token of tokens) assert.ok(!m.s.logText().includes(token.split('.')[1]!));
    });
  });
}

describe('TESSERA_REQUIRE_VERIFIED_EMAIL', () => {
  it('false (default): an unverified account signs in', async () => {
    const m = await startMailTestServer('outbox');
    try {
      const email = freshEmail();
      await m.s.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
      const res = await m.s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD } });
      assert.equal(res.statusCode, 200);
    } finally {
      await m.close();
    }
  });

  for (const mode of MAIL_MODES) {
    it(`true (${mode}): refused with 403 after the password is proven, with a fresh link; verified, it signs in`, async () => {
      const m = await startMailTestServer(mode, { env: { TESSERA_REQUIRE_VERIFIED_EMAIL: 'true' } });
      try {
        const email = freshEmail();
        await m.s.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
        const login = (password: string, mode2: 'session' | 'jwt' = 'session') =>
          m.s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password, mode: mode2 } });
        const wrong = await login('not the right password at all');
        assert.equal(wrong.statusCode, 401, 'a wrong password learns nothing about verification');
        assert.equal(body(wrong).error.code, 'invalid_credentials');
        const mailsBefore = (await m.inbox()).length;
        for (const mode2 of ['session', 'jwt'] as const) {
          const refused = await login(GOOD_PASSWORD, mode2);
          assert.equal(refused.statusCode, 403);
          assert.equal(body(refused).error.code, 'forbidden');
          assert.match(body(refused).error.message, /verify your email/i);
          assert.equal(refused.headers['set-cookie'], undefined, 'no credential');
        }
        assert.equal((await m.inbox()).length, mailsBefore + 2, 'each refusal mails a new link');
        const { token } = await m.last(email, /^Verify/);
        assert.equal((await m.s.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { token } })).statusCode, 200);
        assert.equal((await login(GOOD_PASSWORD)).statusCode, 200);
      } finally {
        await m.close();
      }
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTesseraError } from '../../src/errors.js';
import type { MailMessage } from '../../src/mail/mailer.js';
import { CLIENT, makeTessera, PASSWORD, signedIn } from './fixture.js';

/** A mailer that remembers what it was given. */
function capture() {
  const sent: MailMessage[] = [];
  const tokenFor = (to: string, subject: RegExp) => {
    const m = sent.filter((x) => x.to === to && subject.test(x.subject)).at(-1);
    return m ? /\?token=([^\s]+)/.exec(m.text)![1]! : null;
  };
  return { sent, tokenFor, mailer: { send: async (m: MailMessage) => { sent.push(m); } } };
}

describe('account flows without a mailer', () => {
  it('sign-up works and sends nothing; the mail flows answer 503 unavailable for every input', async () => {
    const f = await makeTessera();
    const me = await signedIn(f, 'session', 'a@example.com');
    for (const attempt of [
      () => f.auth.requestPasswordReset('a@example.com', CLIENT),
      () => f.auth.requestPasswordReset('nobody@example.com', CLIENT),
      () => f.auth.resendVerification(me.user.id),
      () => f.auth.requestEmailChange({ userId: me.user.id, newEmail: 'b@example.com', currentPassword: PASSWORD }, CLIENT),
    ]) {
      const error = await attempt().then(() => null, (e: unknown) => e);
      assert.ok(isTesseraError(error, 'unavailable'), String(error));
      assert.equal(error.message, 'Mail delivery is not configured on this server.');
    }
    await f.auth.flushMail();
  });

  it('requireVerifiedEmail needs a mailer (nobody could ever verify)', async () => {
    await assert.rejects(makeTessera({ requireVerifiedEmail: true }), /requireVerifiedEmail needs a mailer/);
    const c = capture();
    await makeTessera({ requireVerifiedEmail: true, mailer: c.mailer });
  });

  it('accountLinkBase must be an absolute http(s) URL; links follow it', async () => {
    await assert.rejects(makeTessera({ accountLinkBase: 'javascript:alert(1)//' }), /accountLinkBase/);
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer, accountLinkBase: 'https://app.example.com/account/' });
    await f.auth.register({ email: 'a@example.com', password: PASSWORD });
    await f.auth.flushMail();
    assert.match(c.sent[0]!.text, /https:\/\/app\.example\.com\/account\/verify-email\?token=/);
  });
});

describe('account tokens', () => {
  it('of 10 concurrent confirmations of one reset link exactly one succeeds', async () => {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer });
    await signedIn(f, 'jwt', 'a@example.com');
    await f.auth.requestPasswordReset('a@example.com', CLIENT);
    await f.auth.flushMail();
    const token = c.tokenFor('a@example.com', /^Reset/)!;
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) =>
      f.auth.confirmPasswordReset({ token, newPassword: `new passphrase number ${i} long` }, CLIENT)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(isTesseraError(r.reason, 'invalid_request'));
  });

  it('are stored hashed: the store never holds the secret', async () => {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer });
    await f.auth.register({ email: 'a@example.com', password: PASSWORD });
    await f.auth.flushMail();
    const token = c.tokenFor('a@example.com', /^Verify/)!;
    const [id, secret] = token.split('.');
    const stored = await f.store.getAccountToken(id!);
    assert.ok(stored);
    assert.ok(!JSON.stringify(stored).includes(secret!));
    assert.equal(stored.purpose, 'email_verification');
    assert.equal(stored.expiresAt - stored.createdAt, 86_400_000);
  });

  it('a password change ends pending reset links and mails a notice', async () => {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer });
    const me = await signedIn(f, 'session', 'a@example.com');
    await f.auth.requestPasswordReset('a@example.com', CLIENT);
    await f.auth.flushMail();
    const token = c.tokenFor('a@example.com', /^Reset/)!;
    await f.auth.changePassword({ userId: me.user.id, mode: 'session', currentPassword: PASSWORD, newPassword: 'a changed passphrase, long' }, CLIENT);
    await f.auth.flushMail();
    assert.equal(c.sent.at(-1)!.subject, 'Your password was changed');
    const error = await f.auth.confirmPasswordReset({ token, newPassword: 'yet another passphrase' }, CLIENT).then(() => null, (e: unknown) => e);
    assert.ok(isTesseraError(error, 'invalid_request'));
  });

  it('mail events report each outcome', async () => {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer });
    await f.auth.register({ email: 'a@example.com', password: PASSWORD });
    await f.auth.flushMail();
    assert.deepEqual(f.events.filter((e) => e.type === 'mail'), [{ type: 'mail', kind: 'email_verification', outcome: 'sent' }]);
  });
});

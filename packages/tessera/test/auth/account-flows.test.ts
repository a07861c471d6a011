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

describe('pending links after the account changed (an intruder who knew the password)', () => {
  const isInvalidLink = (e: unknown) => isTesseraError(e, 'invalid_request');
  const OTHER = 'another fine passphrase, long';

  /** Signed in, with an email change to the intruder's address pending (its link captured). */
  async function withPendingChange() {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer });
    const me = await signedIn(f, 'session', 'owner@example.com');
    await f.auth.requestEmailChange({ userId: me.user.id, newEmail: 'intruder@example.com', currentPassword: PASSWORD }, CLIENT);
    await f.auth.flushMail();
    return { c, f, me, link: c.tokenFor('intruder@example.com', /^Confirm your new email/)! };
  }

  it('a password change, a reset or a disable ends a pending email change', async () => {
    const changed = await withPendingChange();
    await changed.f.auth.changePassword({ userId: changed.me.user.id, mode: 'session', currentPassword: PASSWORD, newPassword: OTHER }, CLIENT);
    await assert.rejects(changed.f.auth.confirmEmailChange(changed.link, CLIENT), isInvalidLink, 'after a password change');

    const reset = await withPendingChange();
    await reset.f.auth.requestPasswordReset('owner@example.com', CLIENT);
    await reset.f.auth.flushMail();
    await reset.f.auth.confirmPasswordReset({ token: reset.c.tokenFor('owner@example.com', /^Reset/)!, newPassword: OTHER }, CLIENT);
    await assert.rejects(reset.f.auth.confirmEmailChange(reset.link, CLIENT), isInvalidLink, 'after a reset');

    const disabled = await withPendingChange();
    await disabled.f.auth.disableUser(disabled.me.user.id);
    await disabled.f.auth.enableUser(disabled.me.user.id);
    await assert.rejects(disabled.f.auth.confirmEmailChange(disabled.link, CLIENT), isInvalidLink, 'after a disable and enable');
    assert.equal((await disabled.f.store.getUserById(disabled.me.user.id))!.email, 'owner@example.com');
  });

  it('a reset link sent to the address the account had before an email change resets nothing', async () => {
    const { c, f, link } = await withPendingChange();
    await f.auth.requestPasswordReset('owner@example.com', CLIENT);
    await f.auth.flushMail();
    const oldAddressLink = c.tokenFor('owner@example.com', /^Reset/)!;
    // The change is confirmed before the old link is used: the old mailbox is no longer the account's.
    await f.auth.confirmEmailChange(link, CLIENT);
    await assert.rejects(f.auth.confirmPasswordReset({ token: oldAddressLink, newPassword: OTHER }, CLIENT), isInvalidLink);
  });

  it('a reset asked for just before a password change mails no link that would outlive it', async () => {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer });
    const me = await signedIn(f, 'session', 'owner@example.com');
    await f.auth.flushMail();
    const before = c.sent.length;
    // The reset's job runs after its response; the password changes before it does.
    await f.auth.requestPasswordReset('owner@example.com', CLIENT);
    await f.auth.changePassword({ userId: me.user.id, mode: 'session', currentPassword: PASSWORD, newPassword: OTHER }, CLIENT);
    await f.auth.flushMail();
    assert.deepEqual(c.sent.slice(before).map((m) => m.subject), ['Your password was changed']);
  });

  it('an email change to an address locked by guesses before it was anyone\'s clears the lock, as a sign-up does', async () => {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer, loginMaxFailures: 1000 });
    for (let i = 0; i < 100; i++) {
      await f.auth.signIn({ email: 'target@example.com', password: 'wrong guess number ' + i }, CLIENT).catch(() => undefined);
    }
    const me = await signedIn(f, 'session', 'mover@example.com');
    await f.auth.requestEmailChange({ userId: me.user.id, newEmail: 'target@example.com', currentPassword: PASSWORD }, CLIENT);
    await f.auth.flushMail();
    await f.auth.confirmEmailChange(c.tokenFor('target@example.com', /^Confirm your new email/)!, CLIENT);
    const r = await f.auth.signIn({ email: 'target@example.com', password: PASSWORD }, CLIENT);
    assert.equal(r.mode, 'session');
  });
});

describe('mail budgets', () => {
  it('an address gets at most 5 email change links an hour, whatever the number of accounts asking', async () => {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer });
    const refused: string[] = [];
    for (let i = 0; i < 7; i++) {
      const me = await signedIn(f, 'session', `sender${i}@example.com`);
      await f.auth.requestEmailChange({ userId: me.user.id, newEmail: 'victim@example.com', currentPassword: PASSWORD }, CLIENT)
        .catch((e: unknown) => { if (isTesseraError(e, 'rate_limited')) refused.push(`sender${i}`); else throw e; });
    }
    await f.auth.flushMail();
    assert.equal(c.sent.filter((m) => m.to === 'victim@example.com').length, 5);
    assert.deepEqual(refused, ['sender5', 'sender6']);
  });

  it('a registered address answers 409 only while the budget lasts, then 429 like any other (no oracle without limit)', async () => {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer });
    await f.auth.register({ email: 'taken@example.com', password: PASSWORD });
    const me = await signedIn(f, 'session', 'prober@example.com');
    const codes: string[] = [];
    for (let i = 0; i < 7; i++) {
      const newEmail = i % 2 === 0 ? 'taken@example.com' : `free${i}@example.com`;
      await f.auth.requestEmailChange({ userId: me.user.id, newEmail, currentPassword: PASSWORD }, CLIENT)
        .then(() => codes.push('202'), (e: unknown) => codes.push(isTesseraError(e) ? e.code : 'other'));
    }
    assert.deepEqual(codes, ['email_taken', '202', 'email_taken', '202', 'email_taken', 'rate_limited', 'rate_limited']);
  });

  it('sign-ups from one client address get at most 20 verification mails an hour (the accounts are made regardless)', async () => {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer });
    for (let i = 0; i < 22; i++) await f.auth.register({ email: `victim+${i}@example.com`, password: PASSWORD }, CLIENT);
    await f.auth.flushMail();
    assert.equal(c.sent.filter((m) => /^Verify/.test(m.subject)).length, 20);
    assert.ok(await f.store.getUserByEmail('victim+21@example.com'));
  });

  it('a burst of reset requests for one address sends at most the budget, every one counted before it is judged', async () => {
    const c = capture();
    const f = await makeTessera({ mailer: c.mailer });
    await f.auth.register({ email: 'burst@example.com', password: PASSWORD });
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => f.auth.requestPasswordReset('burst@example.com', CLIENT)));
    await f.auth.flushMail();
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
    assert.equal(c.sent.filter((m) => /^Reset/.test(m.subject)).length, 5);
  });
});

import { TesseraError } from '../errors.js';
import { passwordChangedMail, passwordResetMail } from '../mail/templates.js';
import { checkPasswordPolicy } from '../password/password-policy.js';
import { takeRequestBudgets } from '../ratelimit/request-throttle.js';
import { accountLink, mailSite, queueDecoyMail, queueMail, requireMail } from './account-mail.js';
import { invalidLink, issueAccountToken, peekAccountToken, spendAccountToken, spendComparableWork } from './account-tokens.js';
import { recordAudit } from './audit.js';
import type { AuthContext } from './context.js';
import { passwordOf, timedHash } from './credentials.js';
import { normalizeEmail } from './email-address.js';
import { forgetCachedUser } from './email-verification.js';
import type { ClientInfo } from './public-types.js';
import { endSessions } from './session-records.js';

/**
 * Password reset (OWASP Forgot Password Cheat Sheet; NIST SP 800-63B-4 §4.2 recovery).
 *
 * The request answers the same, in about the same time, whether or not the email has an
 * account, because its request path does the same work for both: the budgets are taken alike
 * (so a 429 reveals nothing), the account is looked up, and one audit entry is written (with no
 * user for an unknown email). For a known one a job is queued that, after the response (see
 * mail-queue.ts), creates the token and sends the mail: neither the token write nor SMTP shows
 * in the answer's timing, and a store or mail failure there cannot turn the known email's answer
 * into a 503 while the unknown one gets a 202. For an unknown one a decoy job does the same work
 * but the send (a token generated and hashed, a store call by primary key, the mail rendered),
 * so even the load the request leaves behind is alike but for the SMTP exchange; and the budgets
 * allow a prober 20 samples an hour per address. (Measured: password-reset-enumeration.test.ts.)
 * A disabled account takes the unknown path: a reset must not become a way around a disable.
 *
 * The confirmation checks the new password against the policy before it spends the link (a
 * weak password does not burn it), then sets the password, spends every other reset link, ends
 * every session record and token family with a per-user "not before" (every instance refuses
 * the old cookies and access tokens from the next request), lifts the 100-failure account lock
 * (the way NIST ends it early), marks the address verified (the link reached it), and mails a
 * notice. It signs nobody in: the user signs in with the new password.
 */

/** `POST /auth/password-reset`: never reveals whether `email` has an account. */
export async function requestPasswordReset(ctx: AuthContext, input: unknown, client: ClientInfo): Promise<void> {
  requireMail(ctx);
  const { emailNormalized } = normalizeEmail(input);
  await takeRequestBudgets([[ctx.mailBudgets.resetPerAccount, emailNormalized], [ctx.mailBudgets.resetPerIp, client.ip]]);
  const user = await ctx.store.getUserByEmail(emailNormalized);
  const eligible = user !== null && user.disabledAt === null;
  await recordAudit(ctx, {
    type: 'password_reset_requested', userId: user?.id ?? null, ip: client.ip, detail: user && !eligible ? 'reason=disabled' : null,
  });
  const ttlSeconds = ctx.options.passwordResetTtlSeconds;
  if (!eligible) {
    queueDecoyMail(ctx, 'password_reset', async () => {
      // The known email's job reads its account again first: one read by primary key here too.
      await ctx.store.getUserById(user?.id ?? emailNormalized);
      const token = await spendComparableWork(ctx, 'password_reset');
      return passwordResetMail({ ...mailSite(ctx), to: emailNormalized, url: accountLink(ctx, 'reset-password', token), token, ttlSeconds });
    });
    return;
  }
  queueMail(ctx, 'password_reset', async () => {
    // The request was for the account as it was then. Changed since (its address confirmed
    // elsewhere, its password changed, disabled), no link is made: one made now would outlive
    // the change that should have ended it (the change deleted the links that existed).
    const current = await ctx.store.getUserById(user.id);
    if (!current || current.disabledAt !== null || current.emailNormalized !== user.emailNormalized || current.passwordHash !== user.passwordHash) return null;
    // The address on file, not the one typed: they differ at most in case and surrounding space.
    const token = await issueAccountToken(ctx, user.id, 'password_reset', user.email, ttlSeconds);
    const url = accountLink(ctx, 'reset-password', token);
    return passwordResetMail({ ...mailSite(ctx), to: user.email, url, token, ttlSeconds });
  });
}

/** `POST /auth/password-reset/confirm`: sets a new password with a reset link. */
export async function confirmPasswordReset(ctx: AuthContext, input: { token: unknown; newPassword: unknown }, client: ClientInfo): Promise<void> {
  const password = passwordOf(input.newPassword, 'newPassword');
  const record = await peekAccountToken(ctx, input.token, 'password_reset');
  const user = await ctx.store.getUserById(record.userId);
  // A link sent to an address the account no longer has resets nothing: whoever reads the old
  // mailbox is not the account's owner any more.
  if (!user || normalizeEmail(record.email).emailNormalized !== user.emailNormalized) throw invalidLink();
  // Disabled after the link was sent: the holder proved the mailbox, so saying so is fine.
  if (user.disabledAt !== null) throw new TesseraError('forbidden', { message: 'This account is disabled.' });
  checkPasswordPolicy(password, { minLength: ctx.options.passwordMinLength, email: user.email });
  const passwordHash = await timedHash(ctx, () => ctx.hasher.hash(password));
  await spendAccountToken(ctx, record);
  await ctx.store.updatePasswordHash(user.id, passwordHash);
  // Every other reset link, and a pending email change: someone who knew the old password may
  // have asked for one to their own address, and a reset is how the owner takes the account back.
  await ctx.store.deleteAccountTokens(user.id, ['password_reset', 'email_change']);
  const ended = await endSessions(ctx, { userId: user.id, all: true, reason: 'password_reset', userNotBefore: true });
  await ctx.throttle.unlockAccount(user.emailNormalized);
  if (user.emailVerifiedAt === null) {
    await ctx.store.setEmailVerified(user.id, user.emailNormalized, ctx.options.clock.nowMs());
  }
  forgetCachedUser(ctx, user.id);
  ctx.options.onEvent({ type: 'password_changed', userId: user.id });
  await recordAudit(ctx, { type: 'password_reset', userId: user.id, ip: client.ip, detail: `sessions_ended=${ended.length}` });
  const at = new Date(ctx.options.clock.nowMs());
  queueMail(ctx, 'password_changed', () => passwordChangedMail({ ...mailSite(ctx), to: user.email, at, sessionsEnded: true }));
}

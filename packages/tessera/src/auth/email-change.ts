import { TesseraError } from '../errors.js';
import { takeRequestBudgets } from '../ratelimit/request-throttle.js';
import { emailChangedMail, emailChangeMail, emailChangeNoticeMail } from '../mail/templates.js';
import { accountLink, mailSite, queueMail, requireMail } from './account-mail.js';
import { consumeAccountToken, invalidLink, issueAccountToken } from './account-tokens.js';
import { recordAudit } from './audit.js';
import type { AuthContext } from './context.js';
import { reauthenticate } from './credentials.js';
import { normalizeEmail } from './email-address.js';
import { forgetCachedUser } from './email-verification.js';
import type { ClientInfo, PublicUser } from './public-types.js';
import { toPublicUser } from './public-types.js';

/**
 * Email change, in two steps. The request needs the signed-in user's current password (a
 * borrowed session must not be able to take the account over by moving its mail elsewhere);
 * it mails a link to the new address and a notice to the old one, and keeps only the newest
 * request (earlier links die). The confirmation spends the link: the new address is proven, so
 * it becomes the account's verified email, unless another account took it meanwhile (409).
 * Every other pending link of the account (resets and verifications went to the old address)
 * dies with the change, and the old address is told.
 */

/** `POST /auth/email`: asks to change the signed-in user's email. */
export async function requestEmailChange(
  ctx: AuthContext,
  input: { userId: string; newEmail: unknown; currentPassword: unknown },
  client: ClientInfo,
): Promise<void> {
  requireMail(ctx);
  const user = await ctx.store.getUserById(input.userId);
  if (!user || user.disabledAt !== null) throw new TesseraError('unauthorized');
  const { email, emailNormalized } = normalizeEmail(input.newEmail, 'newEmail');
  await reauthenticate(ctx, user, input.currentPassword, client);
  if (emailNormalized === user.emailNormalized) {
    throw new TesseraError('invalid_request', { message: 'newEmail is already the email address of this account.' });
  }
  // Counted before the address is looked up, so that its 409 (the same disclosure as a
  // sign-up's, to someone who just proved a password) is not an oracle without limit; and by
  // the new address too, which receives a mail it did not ask for.
  await takeRequestBudgets([[ctx.mailBudgets.emailChange, user.id], [ctx.mailBudgets.perRecipient, emailNormalized]]);
  if (await ctx.store.getUserByEmail(emailNormalized)) throw new TesseraError('email_taken');
  await ctx.store.deleteAccountTokens(user.id, ['email_change']);
  const ttlSeconds = ctx.options.emailVerificationTtlSeconds;
  const token = await issueAccountToken(ctx, user.id, 'email_change', email, ttlSeconds);
  await recordAudit(ctx, { type: 'email_change_requested', userId: user.id, ip: client.ip });
  const url = accountLink(ctx, 'confirm-email', token);
  const site = mailSite(ctx);
  queueMail(ctx, 'email_change', () => emailChangeMail({ ...site, to: email, url, token, ttlSeconds }));
  queueMail(ctx, 'email_change_notice', () => emailChangeNoticeMail({ ...site, to: user.email, newEmail: email }));
}

/** `POST /auth/email/confirm`: spends an email change link; the new address becomes the account's, verified. */
export async function confirmEmailChange(ctx: AuthContext, token: unknown, client: ClientInfo): Promise<PublicUser> {
  const record = await consumeAccountToken(ctx, token, 'email_change');
  const user = await ctx.store.getUserById(record.userId);
  if (!user) throw invalidLink();
  if (user.disabledAt !== null) throw new TesseraError('forbidden', { message: 'This account is disabled.' });
  const { email, emailNormalized } = normalizeEmail(record.email);
  const now = ctx.options.clock.nowMs();
  // Throws email_taken (409) when another account has the address now: the store's unique key decides.
  if (!(await ctx.store.updateUserEmail(user.id, email, emailNormalized, now))) throw invalidLink();
  // Failures counted at the new address before any account had it are not this account's (as
  // at sign-up); cleared only now that the address is this account's, so that no pending change
  // can lift the lock of an account that took the address meanwhile. If the throttle store is
  // down the change stands and a lock, if any, stays: a reset or an administrator ends it.
  await ctx.throttle.unlockAccount(emailNormalized).catch(() => undefined);
  await ctx.store.deleteAccountTokens(user.id, ['email_verification', 'password_reset', 'email_change']);
  forgetCachedUser(ctx, user.id);
  await recordAudit(ctx, { type: 'email_changed', userId: user.id, ip: client.ip });
  queueMail(ctx, 'email_changed', () => emailChangedMail({ ...mailSite(ctx), to: user.email, newEmail: email }));
  return toPublicUser({ ...user, email, emailVerifiedAt: now });
}

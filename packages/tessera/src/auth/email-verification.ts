import { TesseraError } from '../errors.js';
import { takeRequestBudgets, tryRequestBudget } from '../ratelimit/request-throttle.js';
import { verificationMail } from '../mail/templates.js';
import type { UserRecord } from '../stores/types.js';
import { accountLink, mailSite, queueMail, requireMail } from './account-mail.js';
import { consumeAccountToken, invalidLink, issueAccountToken } from './account-tokens.js';
import { recordAudit } from './audit.js';
import type { AuthContext } from './context.js';
import { normalizeEmail } from './email-address.js';
import type { ClientInfo, PublicUser } from './public-types.js';
import { toPublicUser } from './public-types.js';

/**
 * Email verification: a link (and code) mailed at sign-up, on request, and when a sign-in is
 * refused for an unverified address; `verifyEmail` spends it. The token records the address it
 * was sent to, and verifying checks that the account still has that address: a link for an
 * address the user has since left verifies nothing.
 */

/** Issues a verification token for the user's current address and queues the mail. No-op without a mailer. */
export async function sendVerification(ctx: AuthContext, user: Pick<UserRecord, 'id' | 'email'>): Promise<void> {
  if (!ctx.mail) return;
  const ttlSeconds = ctx.options.emailVerificationTtlSeconds;
  const token = await issueAccountToken(ctx, user.id, 'email_verification', user.email, ttlSeconds);
  const url = accountLink(ctx, 'verify-email', token);
  queueMail(ctx, 'email_verification', () => verificationMail({ ...mailSite(ctx), to: user.email, url, token, ttlSeconds }));
}

/**
 * Sends a verification mail if the account's budget allows (sign-in of an unverified account
 * asks for one each time; the budget keeps that from becoming a mail cannon). Never throws
 * `rate_limited`: the caller's answer must not depend on it.
 */
export async function sendVerificationIfBudget(ctx: AuthContext, user: UserRecord): Promise<void> {
  if (!ctx.mail) return;
  if (await tryRequestBudget(ctx.mailBudgets.verification, user.id)) await sendVerification(ctx, user);
}

/** `POST /auth/verify-email/resend`: a new link for the signed-in user's address. */
export async function resendVerification(ctx: AuthContext, userId: string): Promise<void> {
  requireMail(ctx);
  const user = await ctx.store.getUserById(userId);
  if (!user || user.disabledAt !== null) throw new TesseraError('unauthorized');
  if (user.emailVerifiedAt !== null) throw new TesseraError('invalid_request', { message: 'The email address is already verified.' });
  await takeRequestBudgets([[ctx.mailBudgets.verification, user.id]]);
  await sendVerification(ctx, user);
}

/** Drops this instance's cached copies of a user whose email data changed (so `/auth/me` shows it at once here). */
export function forgetCachedUser(ctx: AuthContext, userId: string): void {
  ctx.userCache.delete(userId);
  // The session cache is keyed by credential, not by user: clearing it costs one store read
  // per active session within the next second, on this instance only.
  ctx.sessionCache.clear();
}

/** `POST /auth/verify-email`: spends a verification token; the account's address is verified. */
export async function verifyEmail(ctx: AuthContext, token: unknown, client?: ClientInfo): Promise<PublicUser> {
  const record = await consumeAccountToken(ctx, token, 'email_verification');
  const now = ctx.options.clock.nowMs();
  const user = await ctx.store.getUserById(record.userId);
  if (!user || !(await ctx.store.setEmailVerified(user.id, normalizeEmail(record.email).emailNormalized, now))) throw invalidLink();
  forgetCachedUser(ctx, user.id);
  const first = user.emailVerifiedAt === null;
  await recordAudit(ctx, { type: 'email_verified', userId: user.id, ip: client?.ip ?? null, detail: first ? null : 'already=true' });
  return toPublicUser({ ...user, emailVerifiedAt: user.emailVerifiedAt ?? now });
}

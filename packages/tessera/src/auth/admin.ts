import { TesseraError } from '../errors.js';
import type { UserRecord } from '../stores/types.js';
import { recordAudit } from './audit.js';
import type { AuthContext } from './context.js';
import { endSessions } from './session-records.js';

// Administration of accounts (the CLI and, later, an admin API): list, disable, enable, delete.
// Unknown users are not errors here: each operation returns false, and the caller (the CLI)
// decides what that means (an exit code, a 404).

/**
 * A user as administration shows it (`listUsers`): with the disabled state that
 * `PublicUser` leaves out, never the password hash.
 *
 * @example
 * ```ts
 * import type { AdminUser } from 'tessera'
 *
 * const { users } = await auth.listUsers({ limit: 1000 })
 * const disabled: AdminUser[] = users.filter((u) => u.disabledAt !== null)
 * ```
 */
export interface AdminUser {
  id: string;
  email: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, or null while the account is enabled. */
  disabledAt: string | null;
  /** ISO 8601, or null while the email is not verified. */
  emailVerifiedAt: string | null;
}

/**
 * A page of users in id order, from `listUsers`: pass `next` back as `afterId` until it is null.
 *
 * @example
 * ```ts
 * import type { AdminUser, UserPage } from 'tessera'
 *
 * async function everyUser(): Promise<AdminUser[]> {
 *   const all: AdminUser[] = []
 *   for (let page: UserPage = await auth.listUsers(); ; page = await auth.listUsers({ afterId: page.next })) {
 *     all.push(...page.users)
 *     if (page.next === null) return all
 *   }
 * }
 * ```
 */
export interface UserPage {
  users: AdminUser[];
  /** Pass as `afterId` for the next page; null on the last page. */
  next: string | null;
}

export const USERS_DEFAULT_LIMIT = 100;
export const USERS_MAX_LIMIT = 1000;

const toAdminUser = (u: UserRecord): AdminUser => ({
  id: u.id,
  email: u.email,
  createdAt: new Date(u.createdAt).toISOString(),
  disabledAt: u.disabledAt === null ? null : new Date(u.disabledAt).toISOString(),
  emailVerifiedAt: u.emailVerifiedAt === null ? null : new Date(u.emailVerifiedAt).toISOString(),
});

/** Users in id order, `limit` (1 to 1000, default 100) at a time after `afterId`. */
export async function listUsers(ctx: AuthContext, query: { afterId?: string; limit?: number } = {}): Promise<UserPage> {
  const limit = query.limit ?? USERS_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > USERS_MAX_LIMIT) {
    throw new TesseraError('invalid_request', { message: `limit must be an integer from 1 to ${USERS_MAX_LIMIT}.` });
  }
  if (query.afterId !== undefined && typeof query.afterId !== 'string') {
    throw new TesseraError('invalid_request', { message: 'afterId must be a string.' });
  }
  const rows = await ctx.store.listUsers({ ...(query.afterId === undefined ? {} : { afterId: query.afterId }), limit: limit + 1 });
  const page = rows.slice(0, limit);
  return { users: page.map(toAdminUser), next: rows.length > limit ? page.at(-1)!.id : null };
}

/**
 * Ends every record and token family of the user, with a per-user "not before", through
 * `endSessions`: this instance refuses the user's cookies and access tokens at once, the
 * others as soon as the cluster bus or their catch-up brings the feed entries.
 */
function endEverything(ctx: AuthContext, userId: string): Promise<string[]> {
  return endSessions(ctx, { userId, all: true, reason: 'admin', userNotBefore: true });
}

/**
 * Disables an account: it can no longer sign in or refresh, and every session record and
 * access token it holds is refused from the next request on, on every instance. The account
 * is marked first and its records ended second: a sign-in racing with this either sees the
 * mark (sign-in re-reads the user after creating its record) or created its record before the
 * end, which then ends it. Idempotent: disabling again keeps the first `disabledAt` and ends
 * anything left. Returns false for an unknown user.
 */
export async function disableUser(ctx: AuthContext, userId: string): Promise<boolean> {
  const user = await ctx.store.getUserById(userId);
  if (!user) return false;
  if (user.disabledAt === null && !(await ctx.store.setUserDisabled(userId, ctx.options.clock.nowMs()))) return false;
  // Pending links die too: an email change asked for before the disable must not complete after
  // the account is enabled again, nor a reset.
  await ctx.store.deleteAccountTokens(userId, ['password_reset', 'email_change']);
  const ended = await endEverything(ctx, userId);
  await recordAudit(ctx, { type: 'user_disabled', userId, detail: `sessions_ended=${ended.length}` });
  ctx.options.onEvent({ type: 'user_admin', action: 'disabled', userId });
  return true;
}

/**
 * Lets an account sign in again: enables it if it was disabled, and ends a lock of its
 * password sign-in after 100 consecutive failures (which waits for a password reset or an
 * administrator). Ended sessions stay ended. False for an unknown user.
 */
export async function enableUser(ctx: AuthContext, userId: string): Promise<boolean> {
  const user = await ctx.store.getUserById(userId);
  if (!user || !(await ctx.store.setUserDisabled(userId, null))) return false;
  await ctx.throttle.unlockAccount(user.emailNormalized);
  await recordAudit(ctx, { type: 'user_enabled', userId });
  ctx.options.onEvent({ type: 'user_admin', action: 'enabled', userId });
  return true;
}

/**
 * Deletes an account: disabled and every record ended first (as {@link disableUser}, so the
 * revocation feed refuses its access tokens everywhere), then the user and its records are
 * removed. The email is free for a new account. Audit entries about the account stay (they
 * hold its opaque id, never its email). False for an unknown user.
 */
export async function deleteUser(ctx: AuthContext, userId: string): Promise<boolean> {
  if (!(await removeAccount(ctx, userId, { audit: 'user_deleted', reason: 'admin' }))) return false;
  ctx.options.onEvent({ type: 'user_admin', action: 'deleted', userId });
  return true;
}

/**
 * What deleting an account does, whoever asks (an administrator, or the user after proving
 * the password): mark it disabled (a racing sign-in then fails, see {@link disableUser}), end
 * every record and family with a per-user "not before", delete it, and record `audit`.
 */
export async function removeAccount(
  ctx: AuthContext,
  userId: string,
  how: { audit: 'user_deleted' | 'account_deleted'; reason: 'admin' | 'account_deleted'; ip?: string },
): Promise<boolean> {
  const user = await ctx.store.getUserById(userId);
  if (!user) return false;
  if (user.disabledAt === null) await ctx.store.setUserDisabled(userId, ctx.options.clock.nowMs());
  const ended = await endSessions(ctx, { userId, all: true, reason: how.reason, userNotBefore: true });
  if (!(await ctx.store.deleteUser(userId))) return false;
  ctx.userCache.delete(userId);
  await recordAudit(ctx, { type: how.audit, userId, ip: how.ip ?? null, detail: `sessions_ended=${ended.length}` });
  return true;
}

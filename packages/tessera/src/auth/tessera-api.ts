import type { CookieNames } from '../http/cookies.js';
import type { describePasswordPolicy } from '../password/password-policy.js';
import type { ResolvedOptions } from '../options.js';
import type { AuthMode, RevocationEntry } from '../stores/types.js';
import type { UserPage } from './admin.js';
import type { AuditListQuery, AuditPage } from './audit.js';
import type { CredentialHeaders } from './authenticate.js';
import type { AuthResult, ClientInfo, PublicSession, PublicUser, SignInResult, TokenPair } from './public-types.js';

/**
 * The Tessera auth service: sign-up, sign-in in either mode, authentication of requests,
 * refresh, sign-out and session management, the account lifecycle (email verification,
 * password reset, email change, deletion) and administration. Framework-free: it takes strings and returns
 * values; the adapters (Fastify, Express, web) turn those into HTTP. Made by `createTessera`.
 *
 * @example
 * ```ts
 * import type { Tessera } from 'tessera'
 *
 * async function whoAmI(auth: Tessera, cookieHeader: string | undefined) {
 *   const result = await auth.authenticate({ cookie: cookieHeader })
 *   return result.status === 'authenticated' ? auth.getUser(result.userId) : null
 * }
 * ```
 */
export interface Tessera {
  readonly options: ResolvedOptions;
  readonly cookieNames: CookieNames;
  /** Creates an account. `client` (optional) is recorded in the audit log. */
  register(input: { email: unknown; password: unknown }, client?: ClientInfo): Promise<PublicUser>;
  /** Checks the password and starts a session record in `mode`. */
  signIn(input: { email: unknown; password: unknown; mode?: unknown }, client: ClientInfo): Promise<SignInResult>;
  /** Who sent these headers: a value, never an exception for a bad credential. Store outage: throws `unavailable`. */
  authenticate(headers: CredentialHeaders): Promise<AuthResult>;
  /** Rotates a refresh token. `client` is recorded if reuse is detected. */
  refresh(refreshToken: unknown, client?: ClientInfo): Promise<TokenPair>;
  /** Ends the session record named by a refresh token (`invalid_grant` when it names none). */
  signOutWithRefreshToken(refreshToken: unknown, client?: ClientInfo): Promise<void>;
  /** Ends one session record of a user. Returns false when the user has no such active record. */
  endSession(userId: string, sessionId: string, reason?: 'logout' | 'ended_by_user' | 'admin', client?: ClientInfo): Promise<boolean>;
  /** Ends every session record and token family of a user. Returns how many records were active. */
  endAllSessions(userId: string, reason?: 'logout_all' | 'admin', client?: ClientInfo): Promise<number>;
  /** The user's active session records, both modes. */
  listSessions(userId: string, currentSessionId?: string): Promise<PublicSession[]>;
  /** Changes the password; other records end; the caller gets a fresh credential. */
  changePassword(input: { userId: string; mode: AuthMode; currentPassword: unknown; newPassword: unknown }, client: ClientInfo): Promise<SignInResult>;
  /** The user by id, or null. */
  getUser(userId: string): Promise<PublicUser | null>;
  /**
   * Administration: users in id order, a page at a time (`limit` 1 to 1000, default 100).
   *
   * @example
   * ```ts
   * for (let page = await auth.listUsers(); ; page = await auth.listUsers({ afterId: page.next })) {
   *   for (const user of page.users) console.log(user.id, user.email, user.disabledAt)
   *   if (page.next === null) break
   * }
   * ```
   */
  listUsers(query?: { afterId?: string; limit?: number }): Promise<UserPage>;
  /**
   * Administration: disables an account and ends every session record and token family it
   * holds; its cookies and access tokens are refused from the next request on, on every
   * instance. False for an unknown user.
   */
  disableUser(userId: string): Promise<boolean>;
  /**
   * Administration: lets an account sign in again: enables it if disabled, and ends the lock
   * of its password sign-in after 100 consecutive failures. False for an unknown user.
   */
  enableUser(userId: string): Promise<boolean>;
  /**
   * Administration: ends everything (as `disableUser`), then deletes the account and its
   * records; the email becomes free. Audit entries stay. False for an unknown user.
   */
  deleteUser(userId: string): Promise<boolean>;
  /**
   * The audit log, newest first: one user's entries (`userId`) or everyone's, `limit` (1 to
   * 1000, default 50) at a time before `beforeSeq`.
   *
   * @example
   * ```ts
   * const { entries, next } = await auth.listAudit({ userId, limit: 20 })
   * const older = next === null ? [] : (await auth.listAudit({ userId, beforeSeq: next })).entries
   * ```
   */
  listAudit(query?: AuditListQuery): Promise<AuditPage>;
  /** Spends an email verification link (`invalid_request` when bad, spent or expired); the address is verified. */
  verifyEmail(token: unknown, client?: ClientInfo): Promise<PublicUser>;
  /** Mails a new verification link to the user's address (503 without a mailer, 429 past the budget). */
  resendVerification(userId: string): Promise<void>;
  /**
   * Mails a password reset link if `email` names an enabled account. Resolves the same way,
   * in about the same time, whether or not it does (429 past the budget, counted alike).
   */
  requestPasswordReset(email: unknown, client: ClientInfo): Promise<void>;
  /** Sets a new password with a reset link; every session and token family of the account ends. */
  confirmPasswordReset(input: { token: unknown; newPassword: unknown }, client: ClientInfo): Promise<void>;
  /** After the current password: mails a confirmation link to `newEmail` and a notice to the old address. */
  requestEmailChange(input: { userId: string; newEmail: unknown; currentPassword: unknown }, client: ClientInfo): Promise<void>;
  /** Spends an email change link: the new address becomes the account's, verified (409 if taken meanwhile). */
  confirmEmailChange(token: unknown, client: ClientInfo): Promise<PublicUser>;
  /** After the current password: deletes the user's own account (as `deleteUser`). */
  deleteAccount(input: { userId: string; currentPassword: unknown }, client: ClientInfo): Promise<void>;
  /** Resolves when every queued mail has been handed to the mailer (sent or failed). */
  flushMail(): Promise<void>;
  /** Session records active now, every user and mode (for a gauge: not cheap on Redis). */
  countActiveSessions(): Promise<number>;
  /** Seconds since this instance's revocation view last caught up with the durable feed. */
  revocationLagSeconds(): number;
  /** The public JWKS document. */
  jwks(): { keys: object[] };
  /** Rotates the signing key (publish first, sign after the lead time). */
  rotateKeys(options?: { dryRun?: boolean }): Promise<{ kid: string; activatesAt: string }>;
  /** Reloads keys and catches up on revocations (after a change made by another process). */
  refreshState(): Promise<void>;
  /** Throws when the store cannot serve. */
  ready(): Promise<void>;
  /** `Set-Cookie` values that clear both credentials. */
  clearCookies(): string[];
  /** What the password policy asks, for forms. */
  passwordPolicy(): ReturnType<typeof describePasswordPolicy>;
  /**
   * The durable revocation feed after `cursor` (for other services' verifiers). Entries are
   * in feed order; pass the returned `cursor` next time.
   */
  revocationsSince(cursor: number, limit?: number): Promise<{ entries: RevocationEntry[]; cursor: number }>;
  /** Deletes expired rows now (it also happens every `purgeIntervalMs`). Returns rows removed. */
  purgeExpired(): Promise<number>;
  /** Stops timers and waits (up to 5 s) for queued mail; does not close the store (its owner does). */
  close(): Promise<void>;
}

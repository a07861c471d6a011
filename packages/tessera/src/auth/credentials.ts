import { generateId } from '../crypto/tokens.js';
import { TesseraError } from '../errors.js';
import { sessionCookie } from '../http/cookies.js';
import { checkPasswordPolicy, normalizePassword } from '../password/password-policy.js';
import type { AuthMode, UserRecord } from '../stores/types.js';
import { issueTokenPair } from './access-tokens.js';
import { recordAudit } from './audit.js';
import type { AuthContext } from './context.js';
import type { ClientInfo, PublicUser, SignInResult } from './public-types.js';
import { toPublicUser } from './public-types.js';
import { createSessionRecord, endSessions, sessionExpiresAt } from './session-records.js';
import { tryRequestBudget } from '../ratelimit/request-throttle.js';
import type { AdmittedAttempt } from '../ratelimit/login-throttle.js';
import { normalizeEmail } from './email-address.js';
import { sendVerification, sendVerificationIfBudget } from './email-verification.js';
import { queueMail, mailSite } from './account-mail.js';
import { passwordChangedMail } from '../mail/templates.js';

/** A password field: a string, NFKC-normalised; `invalid_request` naming `field` otherwise. */
export function passwordOf(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new TesseraError('invalid_request', { message: `${field} must be a string.` });
  return normalizePassword(value);
}

/** Runs a hash or verification, reporting its duration (the `password_hash` event). */
export async function timedHash<T>(ctx: AuthContext, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    ctx.options.onEvent({ type: 'password_hash', seconds: (performance.now() - started) / 1000 });
  }
}

/** Creates an account. The password is NFKC-normalised, checked against the policy, hashed. */
export async function register(ctx: AuthContext, input: { email: unknown; password: unknown }, client?: ClientInfo): Promise<PublicUser> {
  const { email, emailNormalized } = normalizeEmail(input.email);
  const password = passwordOf(input.password, 'password');
  checkPasswordPolicy(password, { minLength: ctx.options.passwordMinLength, email });
  if (await ctx.store.getUserByEmail(emailNormalized)) throw new TesseraError('email_taken');
  const user: UserRecord = {
    id: generateId(ctx.options.random),
    email,
    emailNormalized,
    passwordHash: await timedHash(ctx, () => ctx.hasher.hash(password)),
    createdAt: ctx.options.clock.nowMs(),
    disabledAt: null,
    emailVerifiedAt: null,
  };
  // Failures counted against this email before the account existed (guesses at an unknown
  // email count like any others) are not the new account's: they would otherwise leave it
  // born locked, until a password reset. Cleared before the account is created, so that a
  // throttle store that is down (Redis) makes the sign-up a 503 that changed nothing, not an
  // account created behind a 503 whose retry gets `email_taken`. The address was unused when
  // checked above, so this cannot unlock someone's existing account.
  await ctx.throttle.unlockAccount(emailNormalized);
  await ctx.store.createUser(user);
  ctx.options.onEvent({ type: 'sign_up', userId: user.id });
  await recordAudit(ctx, { type: 'sign_up', userId: user.id, ip: client?.ip });
  // A sign-up discloses nothing by mailing: the 201 (or 409) already said the address is taken.
  // Its mail is budgeted per client address (never refused: the account exists, and a link
  // can be asked for again), so that sign-ups of victim+1@…, victim+2@… cannot fill one mailbox.
  if (ctx.mail && (client === undefined || (await tryRequestBudget(ctx.mailBudgets.signUpMailPerIp, client.ip)))) await sendVerification(ctx, user);
  return toPublicUser(user);
}

/**
 * Checks an email and password. An unknown email costs the same argon2 work as a wrong
 * password and gets the same answer, so neither the response nor its timing tells whether
 * an account exists. Throttling is counted alike for known and unknown emails.
 */
export async function verifyPassword(ctx: AuthContext, input: { email: unknown; password: unknown }, client: ClientInfo, mode: AuthMode): Promise<UserRecord> {
  const { emailNormalized } = normalizeEmail(input.email);
  const password = passwordOf(input.password, 'password');
  let attempt: AdmittedAttempt;
  try {
    attempt = await ctx.throttle.admit(emailNormalized, client.ip);
  } catch (error) {
    if (error instanceof TesseraError && error.code === 'rate_limited') {
      ctx.options.onEvent({ type: 'sign_in', mode, outcome: 'rate_limited', ip: client.ip });
      ctx.options.onEvent({ type: 'rate_limited' });
    }
    throw error;
  }
  const { user, ok } = await judged(attempt, async () => {
    const found = await ctx.store.getUserByEmail(emailNormalized);
    return {
      user: found,
      ok: found
        ? await timedHash(ctx, () => ctx.hasher.verify(found.passwordHash, password))
        : await timedHash(ctx, () => ctx.hasher.burn(password)).then(() => false),
    };
  });
  if (!user || !ok) {
    ctx.options.onEvent({ type: 'sign_in', mode, outcome: 'invalid_credentials', ip: client.ip });
    // One entry whether or not the email names an account (the same work either way); never
    // the email itself, nor anything of the password.
    await recordAudit(ctx, { type: 'sign_in_failed', userId: user?.id ?? null, ip: client.ip, detail: `mode=${mode} reason=invalid_credentials` });
    throw new TesseraError('invalid_credentials');
  }
  if (user.disabledAt !== null) {
    // Only after the password is proven: a disabled account is not disclosed to guessers.
    return refuseDisabled(ctx, user.id, mode, client);
  }
  await ctx.throttle.recordSuccess(emailNormalized, client.ip);
  if (ctx.hasher.needsRehash(user.passwordHash)) {
    // Parameters were raised since this hash was made: upgrade it while we hold the password.
    const passwordHash = await timedHash(ctx, () => ctx.hasher.hash(password));
    await ctx.store.updatePasswordHash(user.id, passwordHash);
    user.passwordHash = passwordHash;
  }
  if (ctx.options.requireVerifiedEmail && user.emailVerifiedAt === null) {
    // Like a disabled account, disclosed only to whoever proved the password. The refusal
    // carries a fresh link, so an account created before the policy (or whose mail was lost)
    // is never stuck: signing in is how to ask for one.
    await sendVerificationIfBudget(ctx, user);
    ctx.options.onEvent({ type: 'sign_in', mode, outcome: 'unverified', userId: user.id, ip: client.ip });
    await recordAudit(ctx, { type: 'sign_in_failed', userId: user.id, ip: client.ip, detail: `mode=${mode} reason=email_unverified` });
    throw new TesseraError('forbidden', { message: 'Verify your email address first: a link has been sent to it.' });
  }
  return user;
}

/**
 * Proves the current password of a signed-in user before a sensitive change (email, account
 * deletion): a stolen session must not become a password oracle, so failures count against the
 * sign-in throttle of the account and address, and a throttled caller gets 429.
 */
export async function reauthenticate(ctx: AuthContext, user: UserRecord, currentPassword: unknown, client: ClientInfo): Promise<void> {
  const password = passwordOf(currentPassword, 'currentPassword');
  const attempt = await ctx.throttle.admit(user.emailNormalized, client.ip);
  if (!(await judged(attempt, () => timedHash(ctx, () => ctx.hasher.verify(user.passwordHash, password))))) {
    throw new TesseraError('invalid_credentials', { message: 'The current password is incorrect.' });
  }
  await ctx.throttle.recordSuccess(user.emailNormalized, client.ip);
}

/**
 * Runs the check of an admitted attempt. If the check itself fails (a store outage, a full
 * hash queue: a 503), the attempt is withdrawn from the throttle's counts before the error
 * goes on, so that it is not taken for a wrong password.
 */
async function judged<T>(attempt: AdmittedAttempt, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    // If the throttle's store is the one down, its counts are out of reach too; nothing to do.
    await attempt.withdraw().catch(() => {});
    throw error;
  }
}

async function refuseDisabled(ctx: AuthContext, userId: string, mode: AuthMode, client: ClientInfo): Promise<never> {
  ctx.options.onEvent({ type: 'sign_in', mode, outcome: 'disabled', userId, ip: client.ip });
  await recordAudit(ctx, { type: 'sign_in_failed', userId, ip: client.ip, detail: `mode=${mode} reason=disabled` });
  throw new TesseraError('forbidden', { message: 'This account is disabled.' });
}

/**
 * Starts a session record for a verified user, in the requested mode. The user is read again
 * once the record exists: an administrator who disabled (or deleted) the account meanwhile has
 * either been seen here, or ended every record after this one was created (disableUser marks
 * the account before it ends the records), so no credential outlives a disable.
 */
export async function startSession(ctx: AuthContext, user: UserRecord, mode: AuthMode, client: ClientInfo): Promise<SignInResult> {
  const { record, credential } = await createSessionRecord(ctx, user.id, mode, client);
  const current = await ctx.store.getUserById(user.id);
  if (!current || current.disabledAt !== null) {
    await endSessions(ctx, { userId: user.id, sessionIds: [record.id], reason: 'admin' });
    return refuseDisabled(ctx, user.id, mode, client);
  }
  ctx.options.onEvent({ type: 'sign_in', mode, outcome: 'success', userId: user.id, sessionId: record.id, ip: client.ip });
  const publicUser = toPublicUser(user);
  if (mode === 'session') {
    const maxAge = (record.absoluteExpiresAt - record.createdAt) / 1000;
    return {
      mode,
      user: publicUser,
      session: { id: record.id, expiresAt: new Date(sessionExpiresAt(record)).toISOString() },
      sessionToken: credential,
      setCookies: [sessionCookie(ctx.cookieNames, ctx.options.cookieSecure, credential, maxAge)],
    };
  }
  return { mode, user: publicUser, ...issueTokenPair(ctx, user.id, record.id, credential, record.absoluteExpiresAt, sessionExpiresAt(record)) };
}

/**
 * Changes the password after checking the current one. Every session record of the user
 * ends (so every access token naming one is refused at once); the caller continues on a
 * fresh record in the same mode, with a new credential.
 */
export async function changePassword(
  ctx: AuthContext,
  input: { userId: string; mode: AuthMode; currentPassword: unknown; newPassword: unknown },
  client: ClientInfo,
): Promise<SignInResult> {
  const user = await ctx.store.getUserById(input.userId);
  if (!user || user.disabledAt !== null) throw new TesseraError('unauthorized');
  passwordOf(input.currentPassword, 'currentPassword');
  const next = passwordOf(input.newPassword, 'newPassword');
  await reauthenticate(ctx, user, input.currentPassword, client);
  checkPasswordPolicy(next, { minLength: ctx.options.passwordMinLength, email: user.email });
  const passwordHash = await timedHash(ctx, () => ctx.hasher.hash(next));
  await ctx.store.updatePasswordHash(user.id, passwordHash);
  // "Not before" for the user's access tokens as well as the records: a token whose record
  // the store no longer finds active (expired, or its index lost to a Redis eviction) is
  // refused too. The caller's fresh token, of this second or later, is not concerned.
  const ended = await endSessions(ctx, { userId: user.id, all: true, reason: 'password_changed', userNotBefore: true });
  // A pending reset link would undo the change, and a pending email change may be an intruder's
  // (who knew the old password): both die with it.
  await ctx.store.deleteAccountTokens(user.id, ['password_reset', 'email_change']);
  ctx.options.onEvent({ type: 'password_changed', userId: user.id });
  const at = new Date(ctx.options.clock.nowMs());
  queueMail(ctx, 'password_changed', () => passwordChangedMail({ ...mailSite(ctx), to: user.email, at, sessionsEnded: false }));
  const result = await startSession(ctx, { ...user, passwordHash }, input.mode, client);
  await recordAudit(ctx, {
    type: 'password_changed', userId: user.id, sessionId: result.mode === 'session' ? result.session.id : result.sessionId,
    ip: client.ip, detail: `sessions_ended=${ended.length}`,
  });
  return result;
}

import { randomBytes } from 'node:crypto';
import { decodeBase64url, encodeBase64url } from '../crypto/base64url.js';
import { TesseraError } from '../errors.js';
import { clearedCookies, cookieNames } from '../http/cookies.js';
import { createArgon2Hasher } from '../password/password-hasher.js';
import { describePasswordPolicy } from '../password/password-policy.js';
import { createLoginThrottle } from '../ratelimit/login-throttle.js';
import { createRequestThrottle } from '../ratelimit/request-throttle.js';
import { createMailQueue } from '../mail/mail-queue.js';
import { RevocationView } from '../revocation/revocation-view.js';
import type { TesseraOptions, ResolvedOptions } from '../options.js';
import { resolveOptions } from '../options.js';
import type { AuthMode, SessionCheck } from '../stores/types.js';
import { deleteUser, disableUser, enableUser, listUsers } from './admin.js';
import { listAudit, recordAudit } from './audit.js';
import { authenticate } from './authenticate.js';
import type { AuthContext, MailBudgets } from './context.js';
import { deleteOwnAccount } from './account-deletion.js';
import { confirmEmailChange, requestEmailChange } from './email-change.js';
import { resendVerification, verifyEmail } from './email-verification.js';
import { confirmPasswordReset, requestPasswordReset } from './password-reset.js';
import { changePassword, register, startSession, verifyPassword } from './credentials.js';
import { guardStore, storeKind } from './guarded-store.js';
import { KeyManager } from './key-manager.js';
import { VerifiedTokenCache } from '../jwt/verified-token-cache.js';
import { RecentCache } from '../recent-cache.js';
import { toPublicUser } from './public-types.js';
import type { PublicUser } from './public-types.js';
import { refreshTokens } from './refresh.js';
import { endAllSessions, endSession, listSessions, signOutWithRefreshToken } from './session-management.js';
import type { Tessera } from './tessera-api.js';

export type { Tessera };

const MODES: readonly AuthMode[] = ['session', 'jwt'];
/**
 * How long `getUser` may answer from a copy: the display data of `/auth/me` in JWT mode, not a
 * credential check (the token is verified, and the revocation view consulted, on every request).
 */
const USER_CACHE_MAX_AGE_MS = 1000;

/**
 * Creates the auth service. Loads (or, on first start, creates) the signing keys and the
 * revocation view; call `store.migrate()` before.
 *
 * @example
 * ```ts
 * import { createTessera } from 'tessera'
 * import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite'
 *
 * const store = createSqliteStore(openSqliteDatabase('./data/tessera.db'))
 * await store.migrate()
 * const auth = await createTessera({ store, issuer: 'https://auth.example.com' })
 * // Per request, the credential headers as strings (or an adapter: tessera/fastify, /express, /web):
 * const result = await auth.authenticate({ cookie: '__Host-tessera_session=…' })
 * ```
 */
export async function createTessera(input: TesseraOptions): Promise<Tessera> {
  const resolved = resolveOptions(input);
  // Store calls are timed only for an observer (the server's metrics), never for no one.
  const kind = storeKind(input.store);
  const observe = input.onEvent
    ? (op: string, seconds: number, ok: boolean) => resolved.onEvent({ type: 'store_operation', store: kind, op, seconds, ok })
    : undefined;
  // When the store last failed: while it is in doubt, cached session checks are not used.
  const storeHealth = { failedAt: Number.NEGATIVE_INFINITY };
  const options: ResolvedOptions = Object.freeze({
    ...resolved,
    store: guardStore(resolved.store, 1, observe, () => { storeHealth.failedAt = resolved.clock.nowMs(); }),
  });
  const store = options.store;
  const view = new RevocationView(store, options.clock);
  const tokenCache = new VerifiedTokenCache(options.tokenCacheSize);
  const instanceId = encodeBase64url(randomBytes(12));
  const keys = new KeyManager(options, instanceId, () => tokenCache.clear());
  await keys.load();
  await view.catchUp();
  const derivationKey = decodeBase64url(await store.getOrCreateSecret('refresh_derivation_key', encodeBase64url(randomBytes(32))));
  if (!derivationKey || derivationKey.length < 32) throw new TesseraError('internal_error', { message: 'The stored refresh derivation key is malformed.' });
  const names = cookieNames(options.cookieSecure);
  const budget = (name: string, max: number) => createRequestThrottle({ store, clock: options.clock, name, max, windowSeconds: 3600 });
  const mailBudgets: MailBudgets = {
    resetPerAccount: budget('password-reset/account', options.accountMailsPerHour),
    resetPerIp: budget('password-reset/ip', options.passwordResetsPerIpPerHour),
    verification: budget('verification/account', options.accountMailsPerHour),
    emailChange: budget('email-change/account', options.accountMailsPerHour),
    perRecipient: budget('mail/recipient', options.accountMailsPerHour),
    signUpMailPerIp: budget('sign-up-mail/ip', options.passwordResetsPerIpPerHour),
  };
  const mail = options.mailer
    ? createMailQueue({ mailer: options.mailer, onOutcome: (outcome) => options.onEvent({ type: 'mail', ...outcome }) })
    : null;
  const ctx: AuthContext = {
    options,
    store,
    hasher: options.passwordHasher ?? createArgon2Hasher(),
    throttle: createLoginThrottle({ store, clock: options.clock, maxFailuresPerAccountAndIp: options.loginMaxFailures }),
    view,
    keys,
    cookieNames: names,
    refreshDerivationKey: derivationKey,
    tokenCache,
    sessionCache: new RecentCache<SessionCheck>(options.tokenCacheSize, options.sessionCacheMaxAgeMs),
    storeHealth,
    userCache: new RecentCache<PublicUser>(options.tokenCacheSize, USER_CACHE_MAX_AGE_MS),
    mail,
    mailBudgets,
  };
  view.start(options.revocationCatchUpIntervalMs, () => {
    // A failed catch-up is retried on the next tick; the lag shows in /readyz and metrics.
  });
  // Other instances' revocations and rotations, as soon as they happen (best effort: the
  // periodic catch-up and key reload below cover a lost message).
  const unsubscribe = options.clusterBus
    ? await options.clusterBus.subscribe((message) => {
      if (message.type === 'keys_changed') keys.reload().catch(() => {});
      else if (message.entries.length > 0) view.apply(message.entries);
      // An empty list means "too many to carry: read the feed".
      else view.catchUp().catch(() => {});
    })
    : undefined;
  const keyTimer = setInterval(() => {
    keys.reload().catch(() => {
      // Retried on the next tick; the ring in memory keeps serving.
    });
  }, options.keyReloadIntervalMs);
  keyTimer.unref();
  // Expired rows are deleted in the background so the database does not grow without bound.
  const purgeTimer = setInterval(() => {
    store.purgeExpired(options.clock.nowMs()).catch(() => {
      // Retried on the next tick; a store outage is reported by requests and /readyz.
    });
  }, options.purgeIntervalMs);
  purgeTimer.unref();

  return {
    options,
    cookieNames: names,
    register: (i, client) => register(ctx, i, client),
    async signIn(i, client) {
      const mode = i.mode ?? 'session';
      if (!MODES.includes(mode as AuthMode)) throw new TesseraError('invalid_request', { message: 'mode must be "session" or "jwt".' });
      const user = await verifyPassword(ctx, i, client, mode as AuthMode);
      const result = await startSession(ctx, user, mode as AuthMode, client);
      const sessionId = result.mode === 'session' ? result.session.id : result.sessionId;
      await recordAudit(ctx, { type: 'sign_in', userId: user.id, sessionId, ip: client.ip, detail: `mode=${result.mode}` });
      return result;
    },
    authenticate: (headers) => authenticate(ctx, headers),
    refresh(token, client) {
      if (typeof token !== 'string') return Promise.reject(new TesseraError('invalid_grant'));
      return refreshTokens(ctx, token, client);
    },
    signOutWithRefreshToken: (token, client) => signOutWithRefreshToken(ctx, token, client),
    endSession: (userId, sessionId, reason = 'ended_by_user', client) => endSession(ctx, userId, sessionId, reason, client),
    endAllSessions: (userId, reason = 'logout_all', client) => endAllSessions(ctx, userId, reason, client),
    listSessions: (userId, currentSessionId) => listSessions(ctx, userId, currentSessionId),
    changePassword: (i, client) => changePassword(ctx, i, client),
    async getUser(userId) {
      // Display data for /auth/me in JWT mode: the token already passed the revocation view,
      // so a second-old copy of the user is enough.
      // Kept as the public (frozen) shape, so that a hit formats no dates.
      const now = options.clock.nowMs();
      const cached = ctx.userCache.get(userId, now);
      if (cached) return cached;
      const user = await store.getUserById(userId);
      if (!user) return null;
      const shown = Object.freeze(toPublicUser(user));
      ctx.userCache.set(userId, shown, now);
      return shown;
    },
    listUsers: (query) => listUsers(ctx, query),
    disableUser: (userId) => disableUser(ctx, userId),
    enableUser: (userId) => enableUser(ctx, userId),
    deleteUser: (userId) => deleteUser(ctx, userId),
    listAudit: (query) => listAudit(ctx, query),
    verifyEmail: (token, client) => verifyEmail(ctx, token, client),
    resendVerification: (userId) => resendVerification(ctx, userId),
    requestPasswordReset: (email, client) => requestPasswordReset(ctx, email, client),
    confirmPasswordReset: (i, client) => confirmPasswordReset(ctx, i, client),
    requestEmailChange: (i, client) => requestEmailChange(ctx, i, client),
    confirmEmailChange: (token, client) => confirmEmailChange(ctx, token, client),
    deleteAccount: (i, client) => deleteOwnAccount(ctx, i, client),
    flushMail: () => mail?.idle() ?? Promise.resolve(),
    countActiveSessions: () => store.countActiveSessions(options.clock.nowMs()),
    revocationLagSeconds: () => Math.max(0, (options.clock.nowMs() - view.lastSyncAt) / 1000),
    jwks: () => keys.ring.jwks(options.clock.nowMs()),
    async rotateKeys(o = {}) {
      const plan = await keys.rotate(o.dryRun ?? false);
      if (!o.dryRun) await recordAudit(ctx, { type: 'key_rotated', detail: `kid=${plan.newKey.kid} alg=${plan.newKey.alg}` });
      return { kid: plan.newKey.kid, activatesAt: new Date(plan.newKey.activatesAt).toISOString() };
    },
    async refreshState() {
      await keys.reload();
      await view.catchUp();
    },
    ready: () => store.ping(),
    clearCookies: () => clearedCookies(names, options.cookieSecure),
    passwordPolicy: () => describePasswordPolicy({ minLength: options.passwordMinLength }),
    async revocationsSince(cursor, limit = 1000) {
      const entries = await store.listRevocations(cursor, options.clock.nowMs(), Math.min(Math.max(1, limit), 1000));
      return { entries, cursor: entries.at(-1)?.seq ?? cursor };
    },
    purgeExpired: () => store.purgeExpired(options.clock.nowMs()),
    async close() {
      view.stop();
      clearInterval(purgeTimer);
      clearInterval(keyTimer);
      await unsubscribe?.();
      if (mail) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([mail.idle(), new Promise((resolve) => { timer = setTimeout(resolve, 5000); })]);
        clearTimeout(timer);
      }
    },
  };
}

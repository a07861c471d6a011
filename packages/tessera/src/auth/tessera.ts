import { randomBytes } from 'node:crypto';
import { decodeBase64url, encodeBase64url } from '../crypto/base64url.js';
import { TesseraError } from '../errors.js';
import type { CookieNames } from '../http/cookies.js';
import { clearedCookies, cookieNames } from '../http/cookies.js';
import { createArgon2Hasher } from '../password/password-hasher.js';
import { describePasswordPolicy } from '../password/password-policy.js';
import { createLoginThrottle } from '../ratelimit/login-throttle.js';
import { RevocationView } from '../revocation/revocation-view.js';
import type { TesseraOptions, ResolvedOptions } from '../options.js';
import { resolveOptions } from '../options.js';
import type { AuthMode, RevocationEntry, SessionAndUser, UserRecord } from '../stores/types.js';
import type { UserPage } from './admin.js';
import { deleteUser, disableUser, enableUser, listUsers } from './admin.js';
import type { AuditListQuery, AuditPage } from './audit.js';
import { listAudit, recordAudit } from './audit.js';
import type { CredentialHeaders } from './authenticate.js';
import { authenticate } from './authenticate.js';
import type { AuthContext } from './context.js';
import { changePassword, register, startSession, verifyPassword } from './credentials.js';
import { guardStore, storeKind } from './guarded-store.js';
import { KeyManager } from './key-manager.js';
import { VerifiedTokenCache } from '../jwt/verified-token-cache.js';
import { RecentCache } from '../recent-cache.js';
import type { AuthResult, ClientInfo, PublicSession, PublicUser, SignInResult, TokenPair } from './public-types.js';
import { toPublicUser } from './public-types.js';
import { refreshTokens } from './refresh.js';
import { endAllSessions, endSession, listSessions, signOutWithRefreshToken } from './session-management.js';

/**
 * The Tessera auth service: sign-up, sign-in in either mode, authentication of requests,
 * refresh, sign-out and session management. Framework-free: it takes strings and returns
 * values; the adapters (Fastify, Express, web) turn those into HTTP.
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
  /** Administration: lets a disabled account sign in again. False for an unknown user. */
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
  /** Stops timers; does not close the store (its owner does). */
  close(): Promise<void>;
}

const MODES: readonly AuthMode[] = ['session', 'jwt'];

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
 * const result = await auth.authenticate({ cookie: request.headers.cookie })
 * ```
 */
export async function createTessera(input: TesseraOptions): Promise<Tessera> {
  const resolved = resolveOptions(input);
  // Store calls are timed only for an observer (the server's metrics), never for no one.
  const kind = storeKind(input.store);
  const observe = input.onEvent
    ? (op: string, seconds: number, ok: boolean) => resolved.onEvent({ type: 'store_operation', store: kind, op, seconds, ok })
    : undefined;
  const options: ResolvedOptions = Object.freeze({ ...resolved, store: guardStore(resolved.store, 1, observe) });
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
    sessionCache: new RecentCache<SessionAndUser>(options.tokenCacheSize, options.sessionCacheMaxAgeMs),
    userCache: new RecentCache<UserRecord>(options.tokenCacheSize, options.sessionCacheMaxAgeMs),
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
      const now = options.clock.nowMs();
      let user = ctx.userCache.get(userId, now) ?? null;
      if (!user) {
        user = await store.getUserById(userId);
        if (user) ctx.userCache.set(userId, user, now);
      }
      return user ? toPublicUser(user) : null;
    },
    listUsers: (query) => listUsers(ctx, query),
    disableUser: (userId) => disableUser(ctx, userId),
    enableUser: (userId) => enableUser(ctx, userId),
    deleteUser: (userId) => deleteUser(ctx, userId),
    listAudit: (query) => listAudit(ctx, query),
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
    },
  };
}

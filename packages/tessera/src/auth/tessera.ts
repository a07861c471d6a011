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
import type { CredentialHeaders } from './authenticate.js';
import { authenticate } from './authenticate.js';
import type { AuthContext } from './context.js';
import { changePassword, register, startSession, verifyPassword } from './credentials.js';
import { guardStore } from './guarded-store.js';
import { KeyManager } from './key-manager.js';
import { VerifiedTokenCache } from '../jwt/verified-token-cache.js';
import { RecentCache } from '../recent-cache.js';
import type { AuthResult, ClientInfo, PublicSession, PublicUser, SignInResult, TokenPair } from './public-types.js';
import { toPublicUser } from './public-types.js';
import { refreshTokens } from './refresh.js';
import { endSessions, sessionExpiresAt } from './session-records.js';
import { hashesEqual, hashSecret, parseCredential } from '../crypto/tokens.js';

/**
 * The Tessera auth service: sign-up, sign-in in either mode, authentication of requests,
 * refresh, sign-out and session management. Framework-free: it takes strings and returns
 * values; the adapters (Fastify, Express, web) turn those into HTTP.
 */
export interface Tessera {
  readonly options: ResolvedOptions;
  readonly cookieNames: CookieNames;
  /** Creates an account. */
  register(input: { email: unknown; password: unknown }): Promise<PublicUser>;
  /** Checks the password and starts a session record in `mode`. */
  signIn(input: { email: unknown; password: unknown; mode?: unknown }, client: ClientInfo): Promise<SignInResult>;
  /** Who sent these headers: a value, never an exception for a bad credential. Store outage: throws `unavailable`. */
  authenticate(headers: CredentialHeaders): Promise<AuthResult>;
  /** Rotates a refresh token. */
  refresh(refreshToken: unknown): Promise<TokenPair>;
  /** Ends the session record named by a refresh token (`invalid_grant` when it names none). */
  signOutWithRefreshToken(refreshToken: unknown): Promise<void>;
  /** Ends one session record of a user. Returns false when the user has no such active record. */
  endSession(userId: string, sessionId: string, reason?: 'logout' | 'ended_by_user' | 'admin'): Promise<boolean>;
  /** Ends every session record and token family of a user. */
  endAllSessions(userId: string, reason?: 'logout_all' | 'admin'): Promise<number>;
  /** The user's active session records, both modes. */
  listSessions(userId: string, currentSessionId?: string): Promise<PublicSession[]>;
  /** Changes the password; other records end; the caller gets a fresh credential. */
  changePassword(input: { userId: string; mode: AuthMode; currentPassword: unknown; newPassword: unknown }, client: ClientInfo): Promise<SignInResult>;
  /** The user by id, or null. */
  getUser(userId: string): Promise<PublicUser | null>;
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
  const options = resolveOptions({ ...input, store: guardStore(input.store) });
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
    register: (i) => register(ctx, i),
    async signIn(i, client) {
      const mode = i.mode ?? 'session';
      if (!MODES.includes(mode as AuthMode)) throw new TesseraError('invalid_request', { message: 'mode must be "session" or "jwt".' });
      const user = await verifyPassword(ctx, i, client, mode as AuthMode);
      return startSession(ctx, user, mode as AuthMode, client);
    },
    authenticate: (headers) => authenticate(ctx, headers),
    refresh(token) {
      if (typeof token !== 'string') return Promise.reject(new TesseraError('invalid_grant'));
      return refreshTokens(ctx, token);
    },
    async signOutWithRefreshToken(token) {
      const parsed = typeof token === 'string' ? parseCredential(token) : null;
      const found = parsed ? await store.getSessionAndUser(parsed.id) : null;
      if (!parsed || !found || found.session.mode !== 'jwt') throw new TesseraError('invalid_grant');
      // Any token of the family (current or earlier) may end it: ending is never harmful.
      // A forged secret cannot, since ids alone are not credentials.
      const h = hashSecret(parsed.secret);
      if (!hashesEqual(found.session.secretHash, h) && !(found.session.previousSecretHash && hashesEqual(found.session.previousSecretHash, h))) {
        throw new TesseraError('invalid_grant');
      }
      await endSessions(ctx, { userId: found.user.id, sessionIds: [found.session.id], reason: 'logout' });
    },
    async endSession(userId, sessionId, reason = 'ended_by_user') {
      const ended = await endSessions(ctx, { userId, sessionIds: [sessionId], reason });
      return ended.length > 0;
    },
    async endAllSessions(userId, reason = 'logout_all') {
      return (await endSessions(ctx, { userId, all: true, reason, userNotBefore: true })).length;
    },
    async listSessions(userId, currentSessionId) {
      const records = await store.listUserSessions(userId, options.clock.nowMs());
      return records.map((r) => ({
        id: r.id,
        mode: r.mode,
        device: r.device,
        ip: r.ip,
        createdAt: new Date(r.createdAt).toISOString(),
        lastSeenAt: new Date(r.lastSeenAt).toISOString(),
        expiresAt: new Date(sessionExpiresAt(r)).toISOString(),
        current: r.id === currentSessionId,
      }));
    },
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
    jwks: () => keys.ring.jwks(options.clock.nowMs()),
    async rotateKeys(o = {}) {
      const plan = await keys.rotate(o.dryRun ?? false);
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

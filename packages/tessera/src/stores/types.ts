/**
 * The storage contract: a narrow set of domain operations, not a generic ORM.
 * Every store (memory, SQLite, PostgreSQL, Redis) implements it and passes one conformance
 * suite against the real service. All times are milliseconds since the Unix epoch.
 *
 * A store failure (connection lost, timeout) must surface as a thrown error; the core turns
 * it into `unavailable` (503). A store never returns "not found" because it could not look.
 */

/**
 * How a session record is carried to the client: `'session'`, an opaque cookie checked
 * against the store on every request (revocation is instant); `'jwt'`, a short-lived access
 * token verified without the store, plus a rotating refresh token (for APIs and mobile apps).
 *
 * @example
 * ```ts
 * import type { AuthMode } from 'tessera'
 *
 * async function signIn(email: string, password: string, fromMobileApp: boolean) {
 *   const mode: AuthMode = fromMobileApp ? 'jwt' : 'session'
 *   return auth.signIn({ email, password, mode }, { ip: '203.0.113.7' })
 * }
 * ```
 */
export type AuthMode = 'session' | 'jwt';

/**
 * A user account as a {@link Store} keeps it: internal (it holds the password hash), never
 * sent to a client (`PublicUser` is).
 *
 * @example
 * ```ts
 * import type { UserRecord } from 'tessera'
 *
 * const user: UserRecord | null = await store.getUserByEmail('ada@example.com') // the normalized (lower-case) form
 * if (user !== null && user.disabledAt !== null) console.log(`${user.id} was disabled at ${new Date(user.disabledAt).toISOString()}`)
 * ```
 */
export interface UserRecord {
  id: string;
  /** The email as the user typed it (trimmed). */
  email: string;
  /** Trimmed and lower-cased: the unique key emails are compared by. */
  emailNormalized: string;
  /** An argon2id PHC string. */
  passwordHash: string;
  createdAt: number;
  /** Set when an administrator disabled the account; such a user cannot sign in. */
  disabledAt: number | null;
  /** When the current email was proven to reach the user (a verification or email-change link); null until then. */
  emailVerifiedAt: number | null;
}

/**
 * One sign-in. Session mode carries it as a cookie (`id.secret`); JWT mode carries it as a
 * refresh-token family (`id.secret`, rotated on every use) and names it in the `sid` claim.
 *
 * @example
 * ```ts
 * import type { SessionRecord } from 'tessera'
 *
 * async function activeDevices(userId: string): Promise<string[]> {
 *   const records: SessionRecord[] = await store.listUserSessions(userId, Date.now())
 *   return records.map((r) => `${r.device} (${r.mode}), idle expiry ${new Date(r.idleExpiresAt).toISOString()}`)
 * }
 * ```
 */
export interface SessionRecord {
  /** Public identifier (128 random bits, base64url). Not a credential by itself. */
  id: string;
  userId: string;
  mode: AuthMode;
  /**
   * SHA-256 (base64url) of the current secret: the session cookie's secret in session
   * mode, the current refresh token's secret in JWT mode.
   */
  secretHash: string;
  /** JWT mode: hash of the immediate predecessor refresh secret, for the reuse leeway. */
  previousSecretHash: string | null;
  /** JWT mode: when the last rotation happened (start of the reuse leeway). */
  rotatedAt: number | null;
  /** JWT mode: how many rotations this family has seen. */
  generation: number;
  /** A short description of the client (from User-Agent), for the devices list. */
  device: string;
  ip: string;
  createdAt: number;
  lastSeenAt: number;
  /** Idle expiry: pushed forward on use (throttled). */
  idleExpiresAt: number;
  /** Absolute expiry: never moves. */
  absoluteExpiresAt: number;
  revokedAt: number | null;
}

/**
 * A session record together with its user: the result of one lookup (one round trip on the
 * request path). Revoked and expired records are returned too: the caller decides.
 *
 * @example
 * ```ts
 * import type { SessionAndUser } from 'tessera'
 *
 * async function describeSession(sessionId: string): Promise<string> {
 *   const found: SessionAndUser | null = await store.getSessionAndUser(sessionId)
 *   if (found === null) return 'unknown'
 *   return `${found.user.email}: ${found.session.revokedAt === null ? 'not revoked' : 'revoked'}`
 * }
 * ```
 */
export interface SessionAndUser {
  session: SessionRecord;
  user: UserRecord;
}

/**
 * {@link SessionAndUser} narrowed to what a session-cookie check reads: the result of
 * {@link Store.getSessionCheck}. A `SessionAndUser` is one too.
 *
 * @example
 * ```ts
 * import type { SessionCheck } from 'tessera'
 *
 * async function isRevoked(sessionId: string): Promise<boolean> {
 *   const found: SessionCheck | null = store.getSessionCheck ? await store.getSessionCheck(sessionId) : await store.getSessionAndUser(sessionId)
 *   return found !== null && found.session.revokedAt !== null
 * }
 * ```
 */
export interface SessionCheck {
  /** The fields of the record that the check reads. */
  session: Pick<SessionRecord, 'id' | 'userId' | 'mode' | 'secretHash' | 'lastSeenAt' | 'idleExpiresAt' | 'absoluteExpiresAt' | 'revokedAt'>;
  /** The fields of its user that the check reads (and `/auth/me` shows). */
  user: Pick<UserRecord, 'id' | 'email' | 'createdAt' | 'disabledAt' | 'emailVerifiedAt'>;
}

/**
 * The compare-and-set of a refresh-token rotation: of two requests presenting the same
 * refresh token at once, only one rotates it (the other finds the hash changed).
 *
 * @example
 * ```ts
 * import type { RefreshRotation } from 'tessera'
 *
 * async function rotate(sessionId: string, oldHash: string, newHash: string): Promise<boolean> {
 *   const now = Date.now()
 *   const rotation: RefreshRotation = { sessionId, expectedSecretHash: oldHash, newSecretHash: newHash, at: now, idleExpiresAt: now + 86_400_000 }
 *   return store.rotateRefreshSecret(rotation) // false: lost the race, or the record ended
 * }
 * ```
 */
export interface RefreshRotation {
  sessionId: string;
  /** The rotation only happens if the stored `secretHash` still equals this. */
  expectedSecretHash: string;
  newSecretHash: string;
  at: number;
  idleExpiresAt: number;
}

/**
 * Why a session record ended (kept for the audit trail and the revocation feed), as
 * `sessions_ended` events report it.
 *
 * @example
 * ```ts
 * import type { RevocationReason, TesseraEvent } from 'tessera'
 *
 * const ended = new Map<RevocationReason, number>()
 * function onEvent(event: TesseraEvent): void {
 *   if (event.type === 'sessions_ended') ended.set(event.reason, (ended.get(event.reason) ?? 0) + event.sessionIds.length)
 * }
 * ```
 */
export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'ended_by_user'
  | 'password_changed'
  | 'refresh_reuse'
  | 'admin'
  | 'password_reset'
  | 'account_deleted'
  /** Found past its idle or absolute expiry: ended so that a clock going back cannot revive it. */
  | 'expired';

/**
 * One entry of the durable revocation feed. `kind: 'session'` revokes every token naming
 * `subject` as `sid`; `kind: 'user'` revokes every token of user `subject` issued before
 * `at` (a per-user "not before"); `kind: 'jti'` revokes one access token.
 *
 * @example
 * ```ts
 * import type { RevocationEntry } from 'tessera'
 *
 * // Follow the feed from a cursor, as the remote verifier does over HTTP.
 * let cursor = 0
 * const page: { entries: RevocationEntry[]; cursor: number } = await auth.revocationsSince(cursor)
 * for (const e of page.entries) if (e.kind === 'user') console.log(`tokens of ${e.subject} issued before ${e.at} are revoked`)
 * cursor = page.cursor
 * ```
 */
export interface RevocationEntry {
  /** Monotonic cursor, assigned by the store. */
  seq: number;
  kind: 'session' | 'user' | 'jti';
  subject: string;
  at: number;
  /** After this, no token the entry could concern is still valid: the entry may be dropped. */
  expiresAt: number;
}

/**
 * A revocation to append; the store assigns `seq`. What a {@link Store} implementation
 * receives in `appendRevocations`.
 *
 * @example
 * ```ts
 * import type { NewRevocation, RevocationEntry } from 'tessera'
 *
 * // The feed of a store kept in memory: `seq` is the store's, monotonic.
 * const feed: RevocationEntry[] = []
 * async function appendRevocations(entries: readonly NewRevocation[]): Promise<RevocationEntry[]> {
 *   return entries.map((entry) => {
 *     const stored = { ...entry, seq: (feed.at(-1)?.seq ?? 0) + 1 }
 *     feed.push(stored)
 *     return stored
 *   })
 * }
 * ```
 */
export type NewRevocation = Omit<RevocationEntry, 'seq'>;

/**
 * The request to end session records, appending the revocation entries in the same
 * transaction, so no record ends without its feed entry. The store call under
 * `auth.endSession`, `endAllSessions` and the password and admin flows (call those).
 *
 * @example
 * ```ts
 * import type { EndSessionsRequest } from 'tessera'
 *
 * async function signOutOthers(userId: string, currentSessionId: string): Promise<string[]> {
 *   const now = Date.now()
 *   const request: EndSessionsRequest = {
 *     userId, all: true, exceptSessionId: currentSessionId, reason: 'password_changed', at: now, feedExpiresAt: now + 905_000,
 *   }
 *   return store.endSessions(request) // the ids it ended
 * }
 * ```
 */
export interface EndSessionsRequest {
  /** End these records (of this user only: a user cannot end another user's record). */
  userId: string;
  /**
   * Records to end. Ids of another user, unknown ids and records not active at `at` (already
   * revoked or expired) are skipped silently. Ignored when `all` is true.
   */
  sessionIds?: readonly string[];
  /** With `all: true`, end every active record of the user, except `exceptSessionId`. */
  all?: boolean;
  /** Never ended, whether listed in `sessionIds` or covered by `all`. */
  exceptSessionId?: string;
  reason: RevocationReason;
  at: number;
  /** How long the feed must keep the entries (access token TTL + clock tolerance). */
  feedExpiresAt: number;
  /** Also append a per-user "not before" entry at `at` (even if no record was active), after the session entries. */
  userNotBefore?: boolean;
}

/**
 * A JWT signing key. The private JWK is secret material: it never leaves the store and the
 * key ring (log the `kid`, never the record).
 *
 * @example
 * ```ts
 * import type { SigningKeyRecord } from 'tessera'
 *
 * const now = Date.now()
 * const keys: SigningKeyRecord[] = await store.listSigningKeys()
 * const signing = keys.filter((k) => k.activatesAt <= now && (k.retiresAt === null || k.retiresAt > now))
 * console.log(signing.map((k) => `${k.kid} (${k.alg})`))
 * ```
 */
export interface SigningKeyRecord {
  kid: string;
  alg: 'EdDSA' | 'ES256' | 'RS256' | 'HS256';
  /** Public JWK as JSON (for HS256: null, symmetric keys are never published). */
  publicJwk: string | null;
  /** Private (or symmetric) JWK as JSON. */
  privateJwk: string;
  createdAt: number;
  /** Signs from this time. Published in the JWKS from `createdAt` (publish before use). */
  activatesAt: number;
  /** Stops signing at this time (a newer key took over); null while current. */
  retiresAt: number | null;
  /** Leaves the JWKS at this time (the last token it signed has expired). */
  expiresAt: number | null;
}

/**
 * Failures counted for one throttle key in a sliding window: enough to refuse and to say
 * when to retry.
 *
 * @example
 * ```ts
 * import type { FailureCount } from 'tessera'
 *
 * const windowMs = 15 * 60_000
 * const now = Date.now()
 * const failures: FailureCount = await store.countLoginFailures('a-throttle-key', now - windowMs)
 * const retryAfterSeconds = failures.oldestAt === null ? 0 : Math.ceil((failures.oldestAt + windowMs - now) / 1000)
 * ```
 */
export interface FailureCount {
  count: number;
  /** Time of the oldest counted failure (for `Retry-After`); null when none. */
  oldestAt: number | null;
}

/**
 * What an audit entry records. The list grows with new features; stores keep the text as
 * given, so handle types you do not know.
 *
 * @example
 * ```ts
 * import type { AuditType } from 'tessera'
 *
 * const alarming: ReadonlySet<AuditType> = new Set<AuditType>(['refresh_reuse_detected', 'password_reset', 'email_changed'])
 * const { entries } = await auth.listAudit({ limit: 200 })
 * const alerts = entries.filter((e) => alarming.has(e.type))
 * ```
 */
export type AuditType =
  | 'sign_up'
  | 'sign_in'
  | 'sign_in_failed'
  | 'sign_out'
  | 'session_ended'
  | 'sessions_ended_all'
  | 'refresh_reuse_detected'
  | 'password_changed'
  | 'key_rotated'
  | 'user_disabled'
  | 'user_enabled'
  | 'user_deleted'
  | 'email_verified'
  | 'password_reset_requested'
  | 'password_reset'
  | 'email_change_requested'
  | 'email_changed'
  | 'account_deleted';

/**
 * One entry of the durable audit log. Entries never hold an email, a password or a credential:
 * only opaque ids, the client address, and a short `detail` of fixed vocabulary (`mode=jwt`).
 *
 * @example
 * ```ts
 * import type { AuditEntry } from 'tessera'
 *
 * async function printAudit(userId: string): Promise<void> {
 *   const entries: AuditEntry[] = await store.listAudit({ userId, limit: 50 })
 *   for (const e of entries) console.log(new Date(e.at).toISOString(), e.type, e.ip ?? '-', e.detail ?? '')
 * }
 * ```
 */
export interface AuditEntry {
  /** Monotonic, assigned by the store (never reused). */
  seq: number;
  at: number;
  type: AuditType;
  /** The account concerned; null when none is known (a failed sign-in for an unknown email, a key rotation). */
  userId: string | null;
  sessionId: string | null;
  ip: string | null;
  detail: string | null;
}

/**
 * An audit entry to append; the store assigns `seq`. Absent facts are null, not omitted.
 *
 * @example
 * ```ts
 * import type { NewAuditEntry } from 'tessera'
 *
 * async function recordUserDisabled(userId: string): Promise<void> {
 *   const entry: NewAuditEntry = { at: Date.now(), type: 'user_disabled', userId, sessionId: null, ip: null, detail: null }
 *   await store.appendAudit(entry)
 * }
 * ```
 */
export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

/**
 * Which audit entries a store lists, newest first: one user's or all, before a `seq`.
 *
 * @example
 * ```ts
 * import type { AuditEntry, AuditQuery } from 'tessera'
 *
 * async function* everyEntry(): AsyncGenerator<AuditEntry> {
 *   const query: AuditQuery = { limit: 500 }
 *   for (let page = await store.listAudit(query); page.length > 0; page = await store.listAudit({ ...query, beforeSeq: page.at(-1)!.seq })) {
 *     yield* page
 *   }
 * }
 * ```
 */
export interface AuditQuery {
  /** Only this user's entries; every entry when absent. */
  userId?: string;
  /** Only entries with `seq < beforeSeq` (the `seq` of the last entry of the previous page). */
  beforeSeq?: number;
  /** At most this many entries (0 or less: none). */
  limit: number;
}

/**
 * What an account token proves when it comes back: control of a mailbox, for one purpose
 * (a verification link cannot reset a password).
 *
 * @example
 * ```ts
 * import type { AccountTokenPurpose } from 'tessera'
 *
 * // Once the password is reset, older reset links must stop working.
 * async function spendResetLinks(userId: string): Promise<number> {
 *   const purposes: AccountTokenPurpose[] = ['password_reset']
 *   return store.deleteAccountTokens(userId, purposes)
 * }
 * ```
 */
export type AccountTokenPurpose = 'email_verification' | 'password_reset' | 'email_change';

/**
 * A single-use token sent by mail (`id.secret`, as session credentials): the store keeps only
 * SHA-256(secret). Bound to one user and one purpose; consumed atomically (compare-and-delete).
 *
 * @example
 * ```ts
 * import type { AccountTokenRecord } from 'tessera'
 *
 * async function describeLink(id: string): Promise<string> {
 *   const token: AccountTokenRecord | null = await store.getAccountToken(id)
 *   if (token === null || token.expiresAt <= Date.now()) return 'invalid or expired'
 *   return `${token.purpose} link for ${token.email}`
 * }
 * ```
 */
export interface AccountTokenRecord {
  /** Public identifier (128 random bits, base64url): the primary key. */
  id: string;
  userId: string;
  purpose: AccountTokenPurpose;
  /** SHA-256 (base64url) of the secret. */
  secretHash: string;
  /**
   * The address the token is about, as typed (trimmed): the address being verified
   * (`email_verification`), the new address (`email_change`), the address the reset was sent
   * to (`password_reset`).
   */
  email: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * A message kept by the development outbox (no SMTP server configured), so a developer can
 * open the links a real mail would carry.
 *
 * @example
 * ```ts
 * import type { OutboxMail } from 'tessera'
 *
 * const latest: OutboxMail[] = await store.listOutboxMail({ limit: 10 })
 * for (const mail of latest) console.log(mail.to, mail.subject, mail.text)
 * ```
 */
export interface OutboxMail {
  /** Monotonic, assigned by the store. */
  seq: number;
  at: number;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Purged after this time (`purgeExpired`). */
  expiresAt: number;
}

/**
 * A message to keep in the outbox; the store assigns `seq`. `createOutboxMailer` builds these.
 *
 * @example
 * ```ts
 * import type { NewOutboxMail } from 'tessera'
 *
 * const at = Date.now()
 * const mail: NewOutboxMail = { at, to: 'ada@example.com', subject: 'Hello', text: 'Hello!', html: '<p>Hello!</p>', expiresAt: at + 86_400_000 }
 * await store.appendOutboxMail(mail)
 * ```
 */
export type NewOutboxMail = Omit<OutboxMail, 'seq'>;

/**
 * Which users a store lists: a page in id order after an id.
 *
 * @example
 * ```ts
 * import type { UserPageQuery, UserRecord } from 'tessera'
 *
 * async function* everyUser(): AsyncGenerator<UserRecord> {
 *   const query: UserPageQuery = { limit: 500 }
 *   for (let page = await store.listUsers(query); page.length > 0; page = await store.listUsers({ ...query, afterId: page.at(-1)!.id })) {
 *     yield* page
 *   }
 * }
 * ```
 */
export interface UserPageQuery {
  /** Only users with `id > afterId` (byte order): the last id of the previous page. */
  afterId?: string;
  /** At most this many users (0 or less: none). */
  limit: number;
}

/**
 * The storage contract every store implements (`tessera/sqlite`, `tessera/postgres`,
 * `tessera/redis`, `tessera/memory`): pick one, migrate it, and give it to `createTessera`.
 * The application owns it: close it after the Tessera instance.
 *
 * @example
 * ```ts
 * import { createTessera } from 'tessera'
 * import type { Store } from 'tessera'
 * import { createMemoryStore } from 'tessera/memory'
 * import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite'
 *
 * const store: Store = process.env.NODE_ENV === 'test' ? createMemoryStore() : createSqliteStore(openSqliteDatabase('data/tessera.db'))
 * await store.migrate()
 * const auth = await createTessera({ store, issuer: 'https://auth.example.com' })
 * // At shutdown:
 * await auth.close()
 * await store.close()
 * ```
 */
export interface Store {
  /** Creates or upgrades the schema. Idempotent. */
  migrate(): Promise<void>;
  /** Throws if the store cannot serve requests (for `/readyz`). */
  ping(): Promise<void>;
  close(): Promise<void>;

  // Users
  /** Throws `TesseraError('email_taken')` when `emailNormalized` exists. */
  createUser(user: UserRecord): Promise<void>;
  getUserById(id: string): Promise<UserRecord | null>;
  getUserByEmail(emailNormalized: string): Promise<UserRecord | null>;
  /** An unknown user id is a no-op. */
  updatePasswordHash(userId: string, passwordHash: string): Promise<void>;
  /** Users in id order (byte order, as `listUserSessions` orders ids), for paging. */
  listUsers(query: UserPageQuery): Promise<UserRecord[]>;
  /** Sets (a time) or clears (null) `disabledAt`. Returns false, changing nothing, for an unknown user. */
  setUserDisabled(userId: string, disabledAt: number | null): Promise<boolean>;
  /**
   * Deletes the user, every session record of it (either mode, active or not) and its account
   * tokens. The feed, audit entries, login failures and outbox mail stay (they hold no
   * reference the store enforces). Returns false for an unknown user. The email is free for a
   * new account afterwards.
   */
  deleteUser(userId: string): Promise<boolean>;
  /**
   * Sets the user's email (display form and comparison key) and `emailVerifiedAt`. Throws
   * `TesseraError('email_taken')`, changing nothing, when another user has `emailNormalized`.
   * Returns false, changing nothing, for an unknown user.
   */
  updateUserEmail(userId: string, email: string, emailNormalized: string, emailVerifiedAt: number | null): Promise<boolean>;
  /**
   * Marks the email verified at `at`, only if the user's `emailNormalized` is still the given
   * one (a link for an address the user has since left verifies nothing); an earlier
   * `emailVerifiedAt` is kept. Returns true when the user has that address (verified now or
   * before), false otherwise (unknown user, another address).
   */
  setEmailVerified(userId: string, emailNormalized: string, at: number): Promise<boolean>;

  // Account tokens (email verification, password reset, email change)
  /** Stores a token. Fails if the id exists or the user does not. */
  createAccountToken(token: AccountTokenRecord): Promise<void>;
  /** The token with this id, expired or not, or null (the core compares the hash in constant time). */
  getAccountToken(id: string): Promise<AccountTokenRecord | null>;
  /**
   * The atomic compare-and-delete that spends a token: if a token with `id`, `purpose` and
   * `secretHash` exists and `expiresAt > now`, deletes it and returns it; otherwise returns null
   * and changes nothing. Of any number of concurrent calls, at most one gets the record.
   */
  consumeAccountToken(id: string, purpose: AccountTokenPurpose, secretHash: string, now: number): Promise<AccountTokenRecord | null>;
  /** Deletes every token of the user with one of `purposes` (spent by a reset, an email change). Returns how many. */
  deleteAccountTokens(userId: string, purposes: readonly AccountTokenPurpose[]): Promise<number>;

  // Development outbox (mail kept in the database when no SMTP server is configured)
  /** Appends a message to the outbox. */
  appendOutboxMail(mail: NewOutboxMail): Promise<void>;
  /** The newest `limit` messages, newest first (`seq` descending); expired ones included until purged. */
  listOutboxMail(query: { limit: number }): Promise<OutboxMail[]>;

  // Session records (both modes)
  /**
   * Optional: the id of a new session record for `userId`, given a fresh random id (22
   * base64url characters). A store may overwrite a prefix of it to place the record (a Redis
   * Cluster hash tag shared with the user's index); the result must still be 22 canonical
   * base64url characters, and keep at least 96 random bits. The id is not a secret.
   */
  sessionIdFor?(userId: string, randomId: string): Promise<string>;
  createSession(session: SessionRecord): Promise<void>;
  /** One round trip: the record and its user, or null. Returns revoked and expired records too. */
  getSessionAndUser(sessionId: string): Promise<SessionAndUser | null>;
  /**
   * Optional: `getSessionAndUser` with only the fields a session-cookie check reads, for the
   * request path, where every column read and every string made counts (SQLite: 12,000 fewer
   * instructions per check than the whole record and user, whose password hash alone is a
   * 97-character string). Same records as `getSessionAndUser`, field for field; without it,
   * `getSessionAndUser` is used.
   */
  getSessionCheck?(sessionId: string): Promise<SessionCheck | null>;
  /**
   * Sliding renewal (throttled by the caller). No effect on a revoked record, nor on one already
   * expired at `lastSeenAt`. The stored idle expiry is `min(idleExpiresAt, absoluteExpiresAt)`.
   */
  touchSession(sessionId: string, lastSeenAt: number, idleExpiresAt: number): Promise<void>;
  /**
   * Active (not revoked, `idleExpiresAt > now` and `absoluteExpiresAt > now`) records of a user,
   * newest first (`createdAt` descending, then `id` descending).
   */
  listUserSessions(userId: string, now: number): Promise<SessionRecord[]>;
  /**
   * Ends records (sets `revokedAt = at` on those active at `at`) and appends one `session` entry
   * per ended record (plus the `user` entry) atomically. Returns the ids it ended, in the order
   * of `sessionIds`, or newest first with `all`. The `reason` is not stored (no field holds it).
   */
  endSessions(request: EndSessionsRequest): Promise<string[]>;
  /**
   * Atomic compare-and-set of a refresh rotation: if the record is active and its
   * `secretHash` equals `expectedSecretHash`, moves it to `previousSecretHash`, stores
   * `newSecretHash`, sets `rotatedAt`, bumps `generation`, touches `lastSeenAt`/`idleExpiresAt`.
   * Returns false (and changes nothing) otherwise. "Active" is judged at `rotation.at` (not revoked,
   * neither expiry reached); the idle expiry is clamped to the absolute expiry as in `touchSession`.
   */
  rotateRefreshSecret(rotation: RefreshRotation): Promise<boolean>;

  /**
   * How many records are active at `now` (not revoked, neither expiry reached), every user and
   * mode together: the `tessera_sessions_active` gauge. Not for the request path: SQL stores
   * count rows, the Redis store walks its indexes (see its documentation).
   */
  countActiveSessions(now: number): Promise<number>;

  // Revocation feed
  /**
   * Appends entries to the durable feed (in one transaction) and returns them with their
   * `seq`. Used by stores that keep session records elsewhere (Redis) and for `jti` entries.
   */
  appendRevocations(entries: readonly NewRevocation[]): Promise<RevocationEntry[]>;
  /** Entries with `seq > afterSeq` and `expiresAt > now`, in `seq` order, at most `limit`. */
  listRevocations(afterSeq: number, now: number, limit: number): Promise<RevocationEntry[]>;

  // Audit log
  /** Appends one entry to the durable audit log. */
  appendAudit(entry: NewAuditEntry): Promise<void>;
  /** Entries matching `query`, newest first (`seq` descending). */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;

  // Login throttling
  /**
   * Records one failure of `key` at `at`, kept until `expiresAt`; returns the failures of
   * `key` at or after `since` (this one included).
   */
  addLoginFailure(key: string, at: number, since: number, expiresAt: number): Promise<FailureCount>;
  /** Failures of `key` at or after `since`. */
  countLoginFailures(key: string, since: number): Promise<FailureCount>;
  /** Forget every failure of `key` (after a successful sign-in). */
  clearLoginFailures(key: string): Promise<void>;
  /**
   * Forget one failure of `key` recorded at `at`, if there is one: an attempt counted before it
   * was judged, which then could not be (the store or the hash queue failed).
   */
  removeLoginFailure(key: string, at: number): Promise<void>;

  // Signing keys and server secrets
  /** Every stored key (retired and expired ones included), by `createdAt` then `kid`. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /** Inserts a key; fails if the kid exists. */
  insertSigningKey(key: SigningKeyRecord): Promise<void>;
  /** Sets `retiresAt`/`expiresAt` of a key. An unknown kid is a no-op. */
  updateSigningKey(kid: string, changes: Pick<SigningKeyRecord, 'retiresAt' | 'expiresAt'>): Promise<void>;
  /**
   * Returns the server secret named `name`, storing `candidate` first if there is none, so
   * that concurrent first starts agree on one value.
   */
  getOrCreateSecret(name: string, candidate: string): Promise<string>;

  // Coordination
  /**
   * Takes the lease `name` for `holder` until `expiresAt` if it is free, expired at `now`, or
   * already held by `holder` (renewal). Returns whether `holder` holds it now. One key
   * rotation at a time across instances rests on this.
   */
  tryAcquireLease(name: string, holder: string, now: number, expiresAt: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it. */
  releaseLease(name: string, holder: string): Promise<void>;

  /**
   * Deletes expired records, feed entries and old throttle entries. Returns rows removed.
   * Precisely: session records revoked or with either expiry `<= now` (the feed keeps what a
   * revoked record's tokens need), feed entries, login failures, account tokens and outbox mail
   * with `expiresAt <= now`, signing keys with a non-null `expiresAt <= now`. Users, server secrets and audit entries are
   * never purged (how long to keep an audit log is a deployment's choice, not a TTL).
   */
  purgeExpired(now: number): Promise<number>;
}

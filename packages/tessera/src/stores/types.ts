/**
 * The storage contract: a narrow set of domain operations, not a generic ORM.
 * Every store (memory, SQLite, PostgreSQL, Redis) implements it and passes one conformance
 * suite against the real service. All times are milliseconds since the Unix epoch.
 *
 * A store failure (connection lost, timeout) must surface as a thrown error; the core turns
 * it into `unavailable` (503). A store never returns "not found" because it could not look.
 */

/** How a session record is carried to the client. */
export type AuthMode = 'session' | 'jwt';

/** A user account. */
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

/** A session record together with its user: the result of one lookup. */
export interface SessionAndUser {
  session: SessionRecord;
  user: UserRecord;
}

/** The compare-and-set of a refresh-token rotation. */
export interface RefreshRotation {
  sessionId: string;
  /** The rotation only happens if the stored `secretHash` still equals this. */
  expectedSecretHash: string;
  newSecretHash: string;
  at: number;
  idleExpiresAt: number;
}

/** Why a session record ended (kept for the audit trail and the revocation feed). */
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

/** A revocation to append; the store assigns `seq`. */
export type NewRevocation = Omit<RevocationEntry, 'seq'>;

/** The request to end session records, appending the revocation entries in the same transaction. */
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

/** A JWT signing key. The private JWK is secret material: it never leaves the store and the key ring. */
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

/** Failures counted for one throttle key. */
export interface FailureCount {
  count: number;
  /** Time of the oldest counted failure (for `Retry-After`); null when none. */
  oldestAt: number | null;
}

/** What an audit entry records. The list grows with new features; stores keep the text as given. */
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

/** An audit entry to append; the store assigns `seq`. */
export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

/** A page of the audit log, newest first. */
export interface AuditQuery {
  /** Only this user's entries; every entry when absent. */
  userId?: string;
  /** Only entries with `seq < beforeSeq` (the `seq` of the last entry of the previous page). */
  beforeSeq?: number;
  /** At most this many entries (0 or less: none). */
  limit: number;
}

/** What an account token proves when it comes back: control of a mailbox, for one purpose. */
export type AccountTokenPurpose = 'email_verification' | 'password_reset' | 'email_change';

/**
 * A single-use token sent by mail (`id.secret`, as session credentials): the store keeps only
 * SHA-256(secret). Bound to one user and one purpose; consumed atomically (compare-and-delete).
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

/** A message kept by the development outbox (no SMTP server configured). */
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

/** A message to keep in the outbox; the store assigns `seq`. */
export type NewOutboxMail = Omit<OutboxMail, 'seq'>;

/** A page of users in id order. */
export interface UserPageQuery {
  /** Only users with `id > afterId` (byte order): the last id of the previous page. */
  afterId?: string;
  /** At most this many users (0 or less: none). */
  limit: number;
}

/** The storage contract every store implements. */
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

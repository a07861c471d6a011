import { TesseraError } from '../errors.js';
import { MemoryAccountTables } from './memory-account.js';
import type {
  AccountTokenPurpose,
  AccountTokenRecord,
  AuditEntry,
  AuditQuery,
  EndSessionsRequest,
  FailureCount,
  NewAuditEntry,
  NewOutboxMail,
  NewRevocation,
  OutboxMail,
  RefreshRotation,
  RevocationEntry,
  SessionAndUser,
  SessionRecord,
  SigningKeyRecord,
  Store,
  UserPageQuery,
  UserRecord,
} from './types.js';

// An in-memory store for unit tests of the core: plain Maps, no persistence, one process.
// It behaves like the SQLite store on every input the contract allows (the same conformance
// suite runs against both): same results, same errors, same ordering. Records are copied field
// by field on the way in and on the way out, so a caller can never mutate stored state.

const copyUser = (u: UserRecord): UserRecord => ({
  id: u.id,
  email: u.email,
  emailNormalized: u.emailNormalized,
  passwordHash: u.passwordHash,
  createdAt: u.createdAt,
  disabledAt: u.disabledAt,
  emailVerifiedAt: u.emailVerifiedAt,
});


const copySession = (s: SessionRecord): SessionRecord => ({
  id: s.id,
  userId: s.userId,
  mode: s.mode,
  secretHash: s.secretHash,
  previousSecretHash: s.previousSecretHash,
  rotatedAt: s.rotatedAt,
  generation: s.generation,
  device: s.device,
  ip: s.ip,
  createdAt: s.createdAt,
  lastSeenAt: s.lastSeenAt,
  idleExpiresAt: s.idleExpiresAt,
  absoluteExpiresAt: s.absoluteExpiresAt,
  revokedAt: s.revokedAt,
});

const copyKey = (k: SigningKeyRecord): SigningKeyRecord => ({
  kid: k.kid,
  alg: k.alg,
  publicJwk: k.publicJwk,
  privateJwk: k.privateJwk,
  createdAt: k.createdAt,
  activatesAt: k.activatesAt,
  retiresAt: k.retiresAt,
  expiresAt: k.expiresAt,
});

/** Not revoked and not expired at `at` (the SQLite store's `ACTIVE` condition). */
const isActive = (s: SessionRecord, at: number): boolean =>
  s.revokedAt === null && s.idleExpiresAt > at && s.absoluteExpiresAt > at;

/** Newest first: `created_at DESC, id DESC` (ids compared as SQLite's BINARY collation does for ASCII). */
const newestFirst = (a: SessionRecord, b: SessionRecord): number =>
  b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

const byCreatedThenKid = (a: SigningKeyRecord, b: SigningKeyRecord): number =>
  a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);

interface Failure {
  at: number;
  expiresAt: number;
}

/**
 * The in-memory implementation of the storage contract: what {@link createMemoryStore}
 * returns. It passes the same conformance suite as the SQLite store, so tests of code built
 * on Tessera can use it in place of a database; nothing survives the process.
 *
 * @example
 * ```ts
 * import { createTessera } from 'tessera'
 * import type { Tessera } from 'tessera'
 * import { createMemoryStore } from 'tessera/memory'
 * import type { MemoryStore } from 'tessera/memory'
 *
 * async function setUp(): Promise<{ store: MemoryStore; auth: Tessera }> {
 *   const store = createMemoryStore() // each test starts empty
 *   await store.migrate()
 *   return { store, auth: await createTessera({ store, issuer: 'http://localhost:3000' }) }
 * }
 * ```
 */
export class MemoryStore implements Store {
  #closed = false;
  readonly #leases = new Map<string, { holder: string; expiresAt: number }>();
  readonly #users = new Map<string, UserRecord>();
  /** emailNormalized → user id. */
  readonly #emails = new Map<string, string>();
  readonly #sessions = new Map<string, SessionRecord>();
  /** In `seq` order. */
  #revocations: RevocationEntry[] = [];
  /** Never reused, even after a purge (as SQLite's AUTOINCREMENT). */
  #lastSeq = 0;
  #lastAuditSeq = 0;
  readonly #failures = new Map<string, Failure[]>();
  readonly #keys = new Map<string, SigningKeyRecord>();
  readonly #secrets = new Map<string, string>();
  /** In `seq` order; never purged. */
  readonly #audit: AuditEntry[] = [];
  readonly #account = new MemoryAccountTables();

  /** Throws once the store is closed, as a closed database connection does. */
  #open(): void {
    if (this.#closed) throw new Error('The memory store is closed.');
  }

  async migrate(): Promise<void> {
    this.#open();
  }

  async ping(): Promise<void> {
    this.#open();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async createUser(user: UserRecord): Promise<void> {
    this.#open();
    if (this.#emails.has(user.emailNormalized)) throw new TesseraError('email_taken');
    if (this.#users.has(user.id)) throw new Error('UNIQUE constraint failed: users.id');
    this.#users.set(user.id, copyUser(user));
    this.#emails.set(user.emailNormalized, user.id);
  }

  async getUserById(id: string): Promise<UserRecord | null> {
    this.#open();
    const user = this.#users.get(id);
    return user ? copyUser(user) : null;
  }

  async getUserByEmail(emailNormalized: string): Promise<UserRecord | null> {
    this.#open();
    const id = this.#emails.get(emailNormalized);
    return id === undefined ? null : this.getUserById(id);
  }

  async updatePasswordHash(userId: string, passwordHash: string): Promise<void> {
    this.#open();
    const user = this.#users.get(userId);
    if (user) user.passwordHash = passwordHash;
  }

  async listUsers(query: UserPageQuery): Promise<UserRecord[]> {
    this.#open();
    const after = query.afterId;
    return [...this.#users.values()]
      .filter((u) => after === undefined || u.id > after)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, Math.max(0, query.limit))
      .map(copyUser);
  }

  async setUserDisabled(userId: string, disabledAt: number | null): Promise<boolean> {
    this.#open();
    const user = this.#users.get(userId);
    if (!user) return false;
    user.disabledAt = disabledAt;
    return true;
  }

  async deleteUser(userId: string): Promise<boolean> {
    this.#open();
    const user = this.#users.get(userId);
    if (!user) return false;
    this.#users.delete(userId);
    this.#emails.delete(user.emailNormalized);
    // The SQL stores' ON DELETE CASCADE.
    for (const [id, s] of this.#sessions) if (s.userId === userId) this.#sessions.delete(id);
    this.#account.deleteTokens(userId, null);
    return true;
  }

  async updateUserEmail(userId: string, email: string, emailNormalized: string, emailVerifiedAt: number | null): Promise<boolean> {
    this.#open();
    const user = this.#users.get(userId);
    if (!user) return false;
    const holder = this.#emails.get(emailNormalized);
    if (holder !== undefined && holder !== userId) throw new TesseraError('email_taken');
    this.#emails.delete(user.emailNormalized);
    this.#emails.set(emailNormalized, userId);
    user.email = email;
    user.emailNormalized = emailNormalized;
    user.emailVerifiedAt = emailVerifiedAt;
    return true;
  }

  async setEmailVerified(userId: string, emailNormalized: string, at: number): Promise<boolean> {
    this.#open();
    const user = this.#users.get(userId);
    if (!user || user.emailNormalized !== emailNormalized) return false;
    user.emailVerifiedAt ??= at;
    return true;
  }

  async createAccountToken(token: AccountTokenRecord): Promise<void> {
    this.#open();
    if (this.#account.hasToken(token.id)) throw new Error('UNIQUE constraint failed: account_tokens.id');
    if (!this.#users.has(token.userId)) throw new Error('FOREIGN KEY constraint failed');
    this.#account.createToken(token);
  }

  async getAccountToken(id: string): Promise<AccountTokenRecord | null> {
    this.#open();
    return this.#account.getToken(id);
  }

  async consumeAccountToken(id: string, purpose: AccountTokenPurpose, secretHash: string, now: number): Promise<AccountTokenRecord | null> {
    this.#open();
    return this.#account.consumeToken(id, purpose, secretHash, now);
  }

  async deleteAccountTokens(userId: string, purposes: readonly AccountTokenPurpose[]): Promise<number> {
    this.#open();
    return this.#account.deleteTokens(userId, purposes);
  }

  async appendOutboxMail(mail: NewOutboxMail): Promise<void> {
    this.#open();
    this.#account.appendMail(mail);
  }

  async listOutboxMail(query: { limit: number }): Promise<OutboxMail[]> {
    this.#open();
    return this.#account.listMail(query.limit);
  }

  async createSession(session: SessionRecord): Promise<void> {
    this.#open();
    if (this.#sessions.has(session.id)) throw new Error('UNIQUE constraint failed: sessions.id');
    if (!this.#users.has(session.userId)) throw new Error('FOREIGN KEY constraint failed');
    this.#sessions.set(session.id, copySession(session));
  }

  async getSessionAndUser(sessionId: string): Promise<SessionAndUser | null> {
    this.#open();
    const session = this.#sessions.get(sessionId);
    const user = session && this.#users.get(session.userId);
    return session && user ? { session: copySession(session), user: copyUser(user) } : null;
  }

  async touchSession(sessionId: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    this.#open();
    const session = this.#sessions.get(sessionId);
    if (!session || !isActive(session, lastSeenAt)) return;
    session.lastSeenAt = lastSeenAt;
    session.idleExpiresAt = Math.min(idleExpiresAt, session.absoluteExpiresAt);
  }

  async listUserSessions(userId: string, now: number): Promise<SessionRecord[]> {
    this.#open();
    return this.#activeOf(userId, now).map(copySession);
  }

  async endSessions(request: EndSessionsRequest): Promise<string[]> {
    this.#open();
    const { userId, at, feedExpiresAt } = request;
    const candidates = request.all ? this.#activeOf(userId, at).map((s) => s.id) : (request.sessionIds ?? []);
    const ended: string[] = [];
    for (const id of candidates) {
      const session = this.#sessions.get(id);
      if (id === request.exceptSessionId || !session || session.userId !== userId || !isActive(session, at)) continue;
      session.revokedAt = at;
      ended.push(id);
      this.#appendRevocation({ kind: 'session', subject: id, at, expiresAt: feedExpiresAt });
    }
    if (request.userNotBefore) this.#appendRevocation({ kind: 'user', subject: userId, at, expiresAt: feedExpiresAt });
    return ended;
  }

  async rotateRefreshSecret(rotation: RefreshRotation): Promise<boolean> {
    this.#open();
    const session = this.#sessions.get(rotation.sessionId);
    if (!session || session.secretHash !== rotation.expectedSecretHash || !isActive(session, rotation.at)) {
      return false;
    }
    session.previousSecretHash = session.secretHash;
    session.secretHash = rotation.newSecretHash;
    session.rotatedAt = rotation.at;
    session.generation += 1;
    session.lastSeenAt = rotation.at;
    session.idleExpiresAt = Math.min(rotation.idleExpiresAt, session.absoluteExpiresAt);
    return true;
  }

  async countActiveSessions(now: number): Promise<number> {
    this.#open();
    let count = 0;
    for (const s of this.#sessions.values()) if (isActive(s, now)) count += 1;
    return count;
  }

  async appendRevocations(entries: readonly NewRevocation[]): Promise<RevocationEntry[]> {
    this.#open();
    return entries.map((e) => {
      this.#appendRevocation(e);
      return { ...this.#revocations.at(-1)! };
    });
  }

  async listRevocations(afterSeq: number, now: number, limit: number): Promise<RevocationEntry[]> {
    this.#open();
    const out: RevocationEntry[] = [];
    for (const entry of this.#revocations) {
      if (out.length >= limit) break;
      if (entry.seq > afterSeq && entry.expiresAt > now) out.push({ ...entry });
    }
    return out;
  }

  async appendAudit(entry: NewAuditEntry): Promise<void> {
    this.#open();
    this.#lastAuditSeq += 1;
    this.#audit.push({
      seq: this.#lastAuditSeq, at: entry.at, type: entry.type, userId: entry.userId,
      sessionId: entry.sessionId, ip: entry.ip, detail: entry.detail,
    });
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    this.#open();
    const out: AuditEntry[] = [];
    for (let i = this.#audit.length - 1; i >= 0 && out.length < query.limit; i--) {
      const entry = this.#audit[i]!;
      if (query.beforeSeq !== undefined && entry.seq >= query.beforeSeq) continue;
      if (query.userId !== undefined && entry.userId !== query.userId) continue;
      out.push({ ...entry });
    }
    return out;
  }

  async addLoginFailure(key: string, at: number, since: number, expiresAt: number): Promise<FailureCount> {
    this.#open();
    const list = this.#failures.get(key) ?? [];
    list.push({ at, expiresAt });
    this.#failures.set(key, list);
    return this.countLoginFailures(key, since);
  }

  async countLoginFailures(key: string, since: number): Promise<FailureCount> {
    this.#open();
    let count = 0;
    let oldestAt: number | null = null;
    for (const failure of this.#failures.get(key) ?? []) {
      if (failure.at < since) continue;
      count += 1;
      if (oldestAt === null || failure.at < oldestAt) oldestAt = failure.at;
    }
    return { count, oldestAt };
  }

  async clearLoginFailures(key: string): Promise<void> {
    this.#open();
    this.#failures.delete(key);
  }

  async removeLoginFailure(key: string, at: number): Promise<void> {
    this.#open();
    const list = this.#failures.get(key);
    const i = list?.findIndex((failure) => failure.at === at) ?? -1;
    if (i >= 0) list!.splice(i, 1);
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    this.#open();
    return [...this.#keys.values()].sort(byCreatedThenKid).map(copyKey);
  }

  async insertSigningKey(key: SigningKeyRecord): Promise<void> {
    this.#open();
    if (this.#keys.has(key.kid)) throw new Error('UNIQUE constraint failed: signing_keys.kid');
    this.#keys.set(key.kid, copyKey(key));
  }

  async updateSigningKey(kid: string, changes: Pick<SigningKeyRecord, 'retiresAt' | 'expiresAt'>): Promise<void> {
    this.#open();
    const key = this.#keys.get(kid);
    if (!key) return;
    key.retiresAt = changes.retiresAt;
    key.expiresAt = changes.expiresAt;
  }

  async getOrCreateSecret(name: string, candidate: string): Promise<string> {
    this.#open();
    if (!this.#secrets.has(name)) this.#secrets.set(name, candidate);
    return this.#secrets.get(name)!;
  }

  async tryAcquireLease(name: string, holder: string, now: number, expiresAt: number): Promise<boolean> {
    this.#open();
    const current = this.#leases.get(name);
    if (current && current.expiresAt > now && current.holder !== holder) return false;
    this.#leases.set(name, { holder, expiresAt });
    return true;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.#open();
    if (this.#leases.get(name)?.holder === holder) this.#leases.delete(name);
  }

  async purgeExpired(now: number): Promise<number> {
    this.#open();
    let removed = 0;
    for (const [id, s] of this.#sessions) {
      if (s.revokedAt !== null || s.idleExpiresAt <= now || s.absoluteExpiresAt <= now) {
        this.#sessions.delete(id);
        removed += 1;
      }
    }
    const keptRevocations = this.#revocations.filter((entry) => entry.expiresAt > now);
    removed += this.#revocations.length - keptRevocations.length;
    this.#revocations = keptRevocations;
    for (const [key, list] of this.#failures) {
      const kept = list.filter((failure) => failure.expiresAt > now);
      removed += list.length - kept.length;
      if (kept.length === 0) this.#failures.delete(key);
      else this.#failures.set(key, kept);
    }
    for (const [kid, key] of this.#keys) {
      if (key.expiresAt !== null && key.expiresAt <= now) {
        this.#keys.delete(kid);
        removed += 1;
      }
    }
    removed += this.#account.purge(now);
    return removed;
  }

  #activeOf(userId: string, at: number): SessionRecord[] {
    return [...this.#sessions.values()].filter((s) => s.userId === userId && isActive(s, at)).sort(newestFirst);
  }

  #appendRevocation(entry: NewRevocation): void {
    this.#lastSeq += 1;
    this.#revocations.push({ seq: this.#lastSeq, kind: entry.kind, subject: entry.subject, at: entry.at, expiresAt: entry.expiresAt });
  }
}

/**
 * A fresh, empty {@link MemoryStore}: for tests and demos, with no database to set up.
 *
 * @example
 * ```ts
 * import { createTessera, ManualClock } from 'tessera'
 * import { createMemoryStore } from 'tessera/memory'
 *
 * const store = createMemoryStore()
 * await store.migrate()
 * const auth = await createTessera({ store, issuer: 'http://localhost:3000', clock: new ManualClock() })
 * ```
 */
export function createMemoryStore(): MemoryStore {
  return new MemoryStore();
}

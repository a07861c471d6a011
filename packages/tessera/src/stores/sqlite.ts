import type { Database } from 'better-sqlite3';
import { TesseraError } from '../errors.js';
import { migrateSqlite, sqliteSchemaVersion, SQLITE_SCHEMA_VERSION } from './sqlite-schema.js';
import { insertAccountToken, insertOutboxMail, prepareAccountStatements } from './sqlite-account.js';
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
  SessionCheck,
  SessionRecord,
  SigningKeyRecord,
  Store,
  UserPageQuery,
  UserRecord,
} from './types.js';

export { DEFAULT_SQLITE_BUSY_TIMEOUT_MS, DEFAULT_SQLITE_CACHE_MIB, MAX_SQLITE_BUSY_TIMEOUT_MS, MAX_SQLITE_CACHE_MIB, openSqliteDatabase } from './sqlite-schema.js';
export type { SqliteOpenOptions } from './sqlite-schema.js';

// The SQLite store: one file, for a single node. better-sqlite3 is synchronous, so every
// method runs to completion before the next starts; the `async` signatures are the contract's.

/**
 * A {@link Store} over an injected better-sqlite3 connection (see {@link openSqliteDatabase}).
 * Turns `foreign_keys` on for the connection. The store owns the connection: `close()` closes it.
 *
 * @example
 * ```ts
 * import { createTessera } from 'tessera'
 * import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite'
 *
 * const store = createSqliteStore(openSqliteDatabase('data/tessera.db'))
 * await store.migrate()
 * const auth = await createTessera({ store, issuer: 'https://auth.example.com' })
 * ```
 */
export function createSqliteStore(db: Database): SqliteStore {
  return new SqliteStore(db);
}

/** Column → field of {@link UserRecord}, in SELECT order (the SQL and the raw-row reader share it). */
const USER_FIELDS = [
  ['id', 'id'], ['email', 'email'], ['email_normalized', 'emailNormalized'], ['password_hash', 'passwordHash'],
  ['created_at', 'createdAt'], ['disabled_at', 'disabledAt'], ['email_verified_at', 'emailVerifiedAt'],
] as const;

/** Column → field of {@link SessionRecord}, in SELECT order. */
const SESSION_FIELDS = [
  ['id', 'id'], ['user_id', 'userId'], ['mode', 'mode'], ['secret_hash', 'secretHash'],
  ['previous_secret_hash', 'previousSecretHash'], ['rotated_at', 'rotatedAt'], ['generation', 'generation'],
  ['device', 'device'], ['ip', 'ip'], ['created_at', 'createdAt'], ['last_seen_at', 'lastSeenAt'],
  ['idle_expires_at', 'idleExpiresAt'], ['absolute_expires_at', 'absoluteExpiresAt'], ['revoked_at', 'revokedAt'],
] as const;

type Fields = ReadonlyArray<readonly [string, string]>;

const columns = (fields: Fields, t: string): string => fields.map(([column, field]) => `${t}.${column} AS ${field}`).join(', ');
const USER_COLUMNS = (t: string): string => columns(USER_FIELDS, t);
const SESSION_COLUMNS = (t: string): string => columns(SESSION_FIELDS, t);

// The session lookup reads raw rows (an array: session columns, then user columns, in the
// order of SESSION_FIELDS and USER_FIELDS): better-sqlite3's `expand()` (a nested object per
// table) cost about 10 µs more per lookup, two thirds of it. The records are built as object
// literals: a loop of `record[name] = value` made one megamorphic store site for every field
// (0.57 µs per record against 0.05 here). The store conformance suite reads back a session
// and user whose every field differs, so a column in the wrong place fails it.
type RawRow = readonly unknown[];

function sessionFromRaw(r: RawRow): SessionRecord {
  return {
    id: r[0] as string, userId: r[1] as string, mode: r[2] as SessionRecord['mode'], secretHash: r[3] as string,
    previousSecretHash: r[4] as string | null, rotatedAt: r[5] as number | null, generation: r[6] as number,
    device: r[7] as string, ip: r[8] as string, createdAt: r[9] as number, lastSeenAt: r[10] as number,
    idleExpiresAt: r[11] as number, absoluteExpiresAt: r[12] as number, revokedAt: r[13] as number | null,
  };
}

/**
 * A raw row of the session check (see `sessionCheck`): the fields of {@link SessionCheck},
 * session then user, built as literals for the reason above. The two ids are not read back:
 * the record's is the one looked up, and its user's is the record's `user_id` (the JOIN's
 * equality), and each string column read costs a new V8 string per request.
 */
function sessionCheckFromRaw(sessionId: string, r: RawRow): SessionCheck {
  const userId = r[0] as string;
  return {
    session: {
      id: sessionId, userId, mode: r[1] as SessionRecord['mode'], secretHash: r[2] as string,
      lastSeenAt: r[3] as number, idleExpiresAt: r[4] as number, absoluteExpiresAt: r[5] as number, revokedAt: r[6] as number | null,
    },
    user: {
      id: userId, email: r[7] as string, createdAt: r[8] as number, disabledAt: r[9] as number | null, emailVerifiedAt: r[10] as number | null,
    },
  };
}

/** The user columns of a raw row, which follow the session's (`SESSION_FIELDS.length` of them). */
function userFromRaw(r: RawRow): UserRecord {
  return {
    id: r[14] as string, email: r[15] as string, emailNormalized: r[16] as string, passwordHash: r[17] as string,
    createdAt: r[18] as number, disabledAt: r[19] as number | null, emailVerifiedAt: r[20] as number | null,
  };
}

const AUDIT_COLUMNS =
  'seq, at, type, user_id AS userId, session_id AS sessionId, ip, detail';

/** `revoked_at IS NULL` and not expired at the first two `?` (the same instant twice). */
const ACTIVE = 'revoked_at IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?';

/** Every statement, prepared once (after the schema exists). */
function prepareStatements(db: Database) {
  return {
    ping: db.prepare('SELECT 1'),
    insertUser: db.prepare<UserRecord>(
      `INSERT INTO users (id, email, email_normalized, password_hash, created_at, disabled_at, email_verified_at)
       VALUES (@id, @email, @emailNormalized, @passwordHash, @createdAt, @disabledAt, @emailVerifiedAt)`,
    ),
    updateUserEmail: db.prepare<[string, string, number | null, string]>(
      'UPDATE users SET email = ?, email_normalized = ?, email_verified_at = ? WHERE id = ?',
    ),
    // An earlier verification time is kept; the address must still be the one the link was for.
    setEmailVerified: db.prepare<[number, string, string]>(
      'UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?) WHERE id = ? AND email_normalized = ?',
    ),
    userById: db.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS('u')} FROM users u WHERE u.id = ?`),
    userByEmail: db.prepare<[string], UserRecord>(
      `SELECT ${USER_COLUMNS('u')} FROM users u WHERE u.email_normalized = ?`,
    ),
    updatePasswordHash: db.prepare<[string, string]>('UPDATE users SET password_hash = ? WHERE id = ?'),
    // '' sorts before every id: "after nothing" is the first page.
    listUsers: db.prepare<[string, number], UserRecord>(`SELECT ${USER_COLUMNS('u')} FROM users u WHERE u.id > ? ORDER BY u.id LIMIT ?`),
    setUserDisabled: db.prepare<[number | null, string]>('UPDATE users SET disabled_at = ? WHERE id = ?'),
    // Session records go with the user (ON DELETE CASCADE; foreign_keys is on for the connection).
    deleteUser: db.prepare<[string]>('DELETE FROM users WHERE id = ?'),
    countActive: db.prepare<[number, number], number>(`SELECT COUNT(*) FROM sessions WHERE ${ACTIVE}`).pluck(),
    insertAudit: db.prepare<NewAuditEntry>(
      `INSERT INTO audit_log (at, type, user_id, session_id, ip, detail)
       VALUES (@at, @type, @userId, @sessionId, @ip, @detail)`,
    ),
    // seq < ?: the cursor of the previous page (or past the largest possible seq for the first).
    auditAll: db.prepare<[number, number], AuditEntry>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
    auditOfUser: db.prepare<[string, number, number], AuditEntry>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE user_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
    insertSession: db.prepare<SessionRecord>(
      `INSERT INTO sessions (id, user_id, mode, secret_hash, previous_secret_hash, rotated_at, generation,
         device, ip, created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at)
       VALUES (@id, @userId, @mode, @secretHash, @previousSecretHash, @rotatedAt, @generation,
         @device, @ip, @createdAt, @lastSeenAt, @idleExpiresAt, @absoluteExpiresAt, @revokedAt)`,
    ),
    sessionAndUser: db
      // raw(): the row is an array, session columns then user columns (see sessionFromRaw).
      .prepare<[string], unknown[]>(
        `SELECT ${SESSION_COLUMNS('session')}, ${USER_COLUMNS('user')}
         FROM sessions session JOIN users user ON user.id = session.user_id WHERE session.id = ?`,
      )
      .raw(),
    // The session check reads 11 columns of the 21 above, in sessionCheckFromRaw's order.
    sessionCheck: db
      .prepare<[string], unknown[]>(
        `SELECT session.user_id, session.mode, session.secret_hash, session.last_seen_at,
                session.idle_expires_at, session.absolute_expires_at, session.revoked_at,
                user.email, user.created_at, user.disabled_at, user.email_verified_at
         FROM sessions session JOIN users user ON user.id = session.user_id WHERE session.id = ?`,
      )
      .raw(),
    touchSession: db.prepare<[number, number, string, number, number]>(
      `UPDATE sessions SET last_seen_at = ?, idle_expires_at = MIN(?, absolute_expires_at)
       WHERE id = ? AND ${ACTIVE}`,
    ),
    activeUserSessions: db.prepare<[string, number, number], SessionRecord>(
      `SELECT ${SESSION_COLUMNS('sessions')} FROM sessions
       WHERE user_id = ? AND ${ACTIVE} ORDER BY created_at DESC, id DESC`,
    ),
    endSession: db.prepare<[number, string, string, number, number]>(
      `UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_id = ? AND ${ACTIVE}`,
    ),
    rotate: db.prepare<[string, number, number, number, string, string, number, number]>(
      `UPDATE sessions SET previous_secret_hash = secret_hash, secret_hash = ?, rotated_at = ?,
         generation = generation + 1, last_seen_at = ?, idle_expires_at = MIN(?, absolute_expires_at)
       WHERE id = ? AND secret_hash = ? AND ${ACTIVE}`,
    ),
    insertRevocation: db.prepare<[RevocationEntry['kind'], string, number, number]>(
      'INSERT INTO revocations (kind, subject, at, expires_at) VALUES (?, ?, ?, ?)',
    ),
    listRevocations: db.prepare<[number, number, number], RevocationEntry>(
      `SELECT seq, kind, subject, at, expires_at AS expiresAt FROM revocations
       WHERE seq > ? AND expires_at > ? ORDER BY seq LIMIT ?`,
    ),
    insertFailure: db.prepare<[string, number, number]>(
      'INSERT INTO login_failures (key, at, expires_at) VALUES (?, ?, ?)',
    ),
    countFailures: db.prepare<[string, number], FailureCount>(
      'SELECT COUNT(*) AS count, MIN(at) AS oldestAt FROM login_failures WHERE key = ? AND at >= ?',
    ),
    clearFailures: db.prepare<[string]>('DELETE FROM login_failures WHERE key = ?'),
    removeFailure: db.prepare<[string, number]>('DELETE FROM login_failures WHERE rowid = (SELECT rowid FROM login_failures WHERE key = ? AND at = ? LIMIT 1)'),
    listKeys: db.prepare<[], SigningKeyRecord>(
      `SELECT kid, alg, public_jwk AS publicJwk, private_jwk AS privateJwk, created_at AS createdAt,
         activates_at AS activatesAt, retires_at AS retiresAt, expires_at AS expiresAt
       FROM signing_keys ORDER BY created_at, kid`,
    ),
    insertKey: db.prepare<SigningKeyRecord>(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, created_at, activates_at, retires_at, expires_at)
       VALUES (@kid, @alg, @publicJwk, @privateJwk, @createdAt, @activatesAt, @retiresAt, @expiresAt)`,
    ),
    updateKey: db.prepare<[number | null, number | null, string]>(
      'UPDATE signing_keys SET retires_at = ?, expires_at = ? WHERE kid = ?',
    ),
    insertSecret: db.prepare<[string, string]>('INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)'),
    secret: db.prepare<[string], string>('SELECT value FROM server_secrets WHERE name = ?').pluck(),
    purgeSessions: db.prepare<[number, number]>(
      'DELETE FROM sessions WHERE revoked_at IS NOT NULL OR idle_expires_at <= ? OR absolute_expires_at <= ?',
    ),
    acquireLease: db.prepare<[string, string, number, number]>(
      `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.expires_at <= ? OR leases.holder = excluded.holder`,
    ),
    releaseLease: db.prepare<[string, string]>('DELETE FROM leases WHERE name = ? AND holder = ?'),
    purgeRevocations: db.prepare<[number]>('DELETE FROM revocations WHERE expires_at <= ?'),
    purgeFailures: db.prepare<[number]>('DELETE FROM login_failures WHERE expires_at <= ?'),
    purgeKeys: db.prepare<[number]>('DELETE FROM signing_keys WHERE expires_at <= ?'),
    account: prepareAccountStatements(db),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/** The multi-statement operations, each wrapped once in a transaction (run as `BEGIN IMMEDIATE`). */
function prepareTransactions(db: Database, s: () => Statements) {
  return {
    endSessions: db.transaction((request: EndSessionsRequest): string[] => {
      const st = s();
      const { userId, at, feedExpiresAt } = request;
      const candidates = request.all
        ? st.activeUserSessions.all(userId, at, at).map((session) => session.id)
        : (request.sessionIds ?? []);
      const ended: string[] = [];
      for (const id of candidates) {
        if (id === request.exceptSessionId) continue;
        if (st.endSession.run(at, id, userId, at, at).changes !== 1) continue;
        ended.push(id);
        st.insertRevocation.run('session', id, at, feedExpiresAt);
      }
      if (request.userNotBefore) st.insertRevocation.run('user', userId, at, feedExpiresAt);
      return ended;
    }),
    rotate: db.transaction((r: RefreshRotation): boolean => {
      const { changes } = s().rotate.run(
        r.newSecretHash, r.at, r.at, r.idleExpiresAt, r.sessionId, r.expectedSecretHash, r.at, r.at,
      );
      return changes === 1;
    }),
    addFailure: db.transaction((key: string, at: number, since: number, expiresAt: number): FailureCount => {
      s().insertFailure.run(key, at, expiresAt);
      return s().countFailures.get(key, since)!;
    }),
    appendRevocations: db.transaction((entries: readonly NewRevocation[]): RevocationEntry[] =>
      entries.map((e) => {
        const { lastInsertRowid } = s().insertRevocation.run(e.kind, e.subject, e.at, e.expiresAt);
        return { seq: Number(lastInsertRowid), kind: e.kind, subject: e.subject, at: e.at, expiresAt: e.expiresAt };
      })),
    purge: db.transaction((now: number): number => {
      const st = s();
      return (
        st.purgeSessions.run(now, now).changes +
        st.purgeRevocations.run(now).changes +
        st.purgeFailures.run(now).changes +
        st.purgeKeys.run(now).changes +
        st.account.purgeTokens.run(now).changes +
        st.account.purgeMail.run(now).changes
      );
    }),
  };
}

/**
 * The SQLite implementation of the storage contract, for a single node: what
 * {@link createSqliteStore} returns. It owns its connection: `close()` closes it.
 *
 * @example
 * ```ts
 * import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite'
 * import type { SqliteStore } from 'tessera/sqlite'
 *
 * const store: SqliteStore = createSqliteStore(openSqliteDatabase(':memory:')) // a private database, e.g. for a test
 * await store.migrate()
 * // …
 * await store.close()
 * ```
 */
export class SqliteStore implements Store {
  readonly #db: Database;
  #statements: Statements | undefined;
  readonly #tx: ReturnType<typeof prepareTransactions>;

  constructor(db: Database) {
    this.#db = db;
    db.pragma('foreign_keys = ON');
    if (sqliteSchemaVersion(db) === SQLITE_SCHEMA_VERSION) this.#statements = prepareStatements(db);
    this.#tx = prepareTransactions(db, () => this.#s);
  }

  /** The statements; throws before `migrate()` created the schema. */
  get #s(): Statements {
    if (this.#statements === undefined) {
      throw new Error('The SQLite store has no schema yet: call migrate() first.');
    }
    return this.#statements;
  }

  async migrate(): Promise<void> {
    migrateSqlite(this.#db);
    this.#statements ??= prepareStatements(this.#db);
  }

  async ping(): Promise<void> {
    this.#s.ping.get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  async createUser(user: UserRecord): Promise<void> {
    try {
      this.#s.insertUser.run(user);
    } catch (error) {
      if (isUniqueViolation(error, 'users.email_normalized')) throw new TesseraError('email_taken', { cause: error });
      throw error;
    }
  }

  async getUserById(id: string): Promise<UserRecord | null> {
    return this.#s.userById.get(id) ?? null;
  }

  async getUserByEmail(emailNormalized: string): Promise<UserRecord | null> {
    return this.#s.userByEmail.get(emailNormalized) ?? null;
  }

  async updatePasswordHash(userId: string, passwordHash: string): Promise<void> {
    this.#s.updatePasswordHash.run(passwordHash, userId);
  }

  async listUsers(query: UserPageQuery): Promise<UserRecord[]> {
    return this.#s.listUsers.all(query.afterId ?? '', Math.max(0, query.limit));
  }

  async setUserDisabled(userId: string, disabledAt: number | null): Promise<boolean> {
    return this.#s.setUserDisabled.run(disabledAt, userId).changes === 1;
  }

  async deleteUser(userId: string): Promise<boolean> {
    return this.#s.deleteUser.run(userId).changes === 1;
  }

  async updateUserEmail(userId: string, email: string, emailNormalized: string, emailVerifiedAt: number | null): Promise<boolean> {
    try {
      return this.#s.updateUserEmail.run(email, emailNormalized, emailVerifiedAt, userId).changes === 1;
    } catch (error) {
      if (isUniqueViolation(error, 'users.email_normalized')) throw new TesseraError('email_taken', { cause: error });
      throw error;
    }
  }

  async setEmailVerified(userId: string, emailNormalized: string, at: number): Promise<boolean> {
    return this.#s.setEmailVerified.run(at, userId, emailNormalized).changes === 1;
  }

  async createAccountToken(token: AccountTokenRecord): Promise<void> {
    insertAccountToken(this.#s.account, token);
  }

  async getAccountToken(id: string): Promise<AccountTokenRecord | null> {
    return this.#s.account.tokenById.get(id) ?? null;
  }

  async consumeAccountToken(id: string, purpose: AccountTokenPurpose, secretHash: string, now: number): Promise<AccountTokenRecord | null> {
    return this.#s.account.consumeToken.get(id, purpose, secretHash, now) ?? null;
  }

  async deleteAccountTokens(userId: string, purposes: readonly AccountTokenPurpose[]): Promise<number> {
    return this.#s.account.deleteTokens.run(userId, JSON.stringify(purposes)).changes;
  }

  async appendOutboxMail(mail: NewOutboxMail): Promise<void> {
    insertOutboxMail(this.#s.account, mail);
  }

  async listOutboxMail(query: { limit: number }): Promise<OutboxMail[]> {
    return this.#s.account.listMail.all(Math.max(0, query.limit));
  }

  async createSession(session: SessionRecord): Promise<void> {
    this.#s.insertSession.run(session);
  }

  async getSessionAndUser(sessionId: string): Promise<SessionAndUser | null> {
    const row = this.#s.sessionAndUser.get(sessionId);
    if (!row) return null;
    return { session: sessionFromRaw(row), user: userFromRaw(row) };
  }

  async getSessionCheck(sessionId: string): Promise<SessionCheck | null> {
    const row = this.#s.sessionCheck.get(sessionId);
    return row ? sessionCheckFromRaw(sessionId, row) : null;
  }

  async touchSession(sessionId: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    this.#s.touchSession.run(lastSeenAt, idleExpiresAt, sessionId, lastSeenAt, lastSeenAt);
  }

  async listUserSessions(userId: string, now: number): Promise<SessionRecord[]> {
    return this.#s.activeUserSessions.all(userId, now, now);
  }

  async endSessions(request: EndSessionsRequest): Promise<string[]> {
    return this.#tx.endSessions.immediate(request);
  }

  async rotateRefreshSecret(rotation: RefreshRotation): Promise<boolean> {
    return this.#tx.rotate.immediate(rotation);
  }

  async countActiveSessions(now: number): Promise<number> {
    return this.#s.countActive.get(now, now)!;
  }

  async appendRevocations(entries: readonly NewRevocation[]): Promise<RevocationEntry[]> {
    return this.#tx.appendRevocations.immediate(entries);
  }

  async listRevocations(afterSeq: number, now: number, limit: number): Promise<RevocationEntry[]> {
    // SQLite reads a negative LIMIT as "no limit"; the contract means at most `limit`.
    return this.#s.listRevocations.all(afterSeq, now, Math.max(0, limit));
  }

  async appendAudit(entry: NewAuditEntry): Promise<void> {
    this.#s.insertAudit.run({
      at: entry.at, type: entry.type, userId: entry.userId, sessionId: entry.sessionId, ip: entry.ip, detail: entry.detail,
    });
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const before = query.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const limit = Math.max(0, query.limit);
    return query.userId === undefined
      ? this.#s.auditAll.all(before, limit)
      : this.#s.auditOfUser.all(query.userId, before, limit);
  }

  async addLoginFailure(key: string, at: number, since: number, expiresAt: number): Promise<FailureCount> {
    return this.#tx.addFailure.immediate(key, at, since, expiresAt);
  }

  async countLoginFailures(key: string, since: number): Promise<FailureCount> {
    return this.#s.countFailures.get(key, since)!;
  }

  async clearLoginFailures(key: string): Promise<void> {
    this.#s.clearFailures.run(key);
  }

  async removeLoginFailure(key: string, at: number): Promise<void> {
    this.#s.removeFailure.run(key, at);
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.#s.listKeys.all();
  }

  async insertSigningKey(key: SigningKeyRecord): Promise<void> {
    this.#s.insertKey.run(key);
  }

  async updateSigningKey(kid: string, changes: Pick<SigningKeyRecord, 'retiresAt' | 'expiresAt'>): Promise<void> {
    this.#s.updateKey.run(changes.retiresAt, changes.expiresAt, kid);
  }

  async getOrCreateSecret(name: string, candidate: string): Promise<string> {
    // Read first: every start asks for its secrets, and a write would need SQLite's write lock,
    // which another connection (a VACUUM, a manual session) may hold past the busy timeout.
    const existing = this.#s.secret.get(name);
    if (existing !== undefined) return existing;
    this.#s.insertSecret.run(name, candidate);
    return this.#s.secret.get(name)!;
  }

  async tryAcquireLease(name: string, holder: string, now: number, expiresAt: number): Promise<boolean> {
    return this.#s.acquireLease.run(name, holder, expiresAt, now).changes === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.#s.releaseLease.run(name, holder);
  }

  async purgeExpired(now: number): Promise<number> {
    return this.#tx.purge.immediate(now);
  }
}

/**
 * Duck-typed (not `instanceof SqliteError`): the injected connection may come from another
 * copy of better-sqlite3 than the one this module would import.
 */
function isUniqueViolation(error: unknown, column: string): boolean {
  return (
    error instanceof Error &&
    (error as Error & { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    error.message.includes(column)
  );
}

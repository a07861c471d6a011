import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig, QueryResultRow } from 'pg';
import { TesseraError } from '../errors.js';
import { inTransaction, migratePostgres, postgresLockKey, quotePostgresSchema } from './postgres-schema.js';
import type { AccountTokenRow, OutboxMailRow } from './postgres-account.js';
import { accountPurgeParts, buildAccountStatements, toAccountToken, toOutboxMail } from './postgres-account.js';
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

export {
  migratePostgres,
  postgresLockKey,
  POSTGRES_SCHEMA_VERSION,
  quotePostgresSchema,
} from './postgres-schema.js';

// The PostgreSQL store: several nodes share one database. Every method is one statement (one
// round trip) except the two that append to the revocation feed, which run a short transaction
// under the feed's advisory lock. Atomicity comes from the database (a compare-and-set UPDATE,
// INSERT … ON CONFLICT, data-modifying CTEs), never from JavaScript.

/**
 * Options of {@link createPostgresStore}: which schema holds the tables, so that several
 * deployments (or Tessera and the application) can share one database.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createPostgresStore } from 'tessera/postgres'
 * import type { PostgresStoreOptions } from 'tessera/postgres'
 *
 * const options: PostgresStoreOptions = { schema: 'tessera_staging' }
 * const store = createPostgresStore(new pg.Pool({ connectionString: process.env.DATABASE_URL }), options)
 * ```
 */
export interface PostgresStoreOptions {
  /**
   * The schema every table lives in (created by `migrate()`). Default `'tessera'`. Must match
   * `/^[a-z_][a-z0-9_]{0,62}$/` and not start with `pg_`.
   */
  schema?: string;
}

/**
 * A {@link Store} over an injected `pg` pool. Every table lives in one schema (default
 * `tessera`), created by `migrate()`; several instances may migrate at once.
 *
 * The store owns the pool, as the SQLite store owns its connection: `close()` ends it
 * (`pool.end()`). Give the store a pool of its own if the application needs one after it.
 *
 * Operational notes:
 * - Attach `pool.on('error', …)`: `pg` emits idle-client errors (a restarted server) on the
 *   pool, and an unhandled `'error'` event ends the process. Queries in flight reject, which
 *   the core answers with 503.
 * - Set `connectionTimeoutMillis` (and, through `options: '-c statement_timeout=… -c lock_timeout=…'`,
 *   server-side timeouts), so that an unreachable or stuck database makes calls reject instead of wait.
 * - Hot statements are named (prepared once per connection): with PgBouncer, use session pooling
 *   or a version that supports prepared statements in transaction pooling (1.21+).
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createPostgresStore } from 'tessera/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5000 })
 * pool.on('error', (error) => console.warn('idle PostgreSQL client failed:', error.message))
 * const store = createPostgresStore(pool, { schema: 'tessera' })
 * await store.migrate()
 * ```
 */
export function createPostgresStore(pool: Pool, options: PostgresStoreOptions = {}): PostgresStore {
  return new PostgresStore(pool, options);
}

// Rows as PostgreSQL returns them. BIGINT columns arrive as strings by default (pg does not
// know they fit a double); `num` accepts a number too, in case the application installed a
// global int8 parser.
type Int8 = string | number | bigint;

interface UserRow {
  id: string;
  email: string;
  email_normalized: string;
  password_hash: string;
  created_at: Int8;
  disabled_at: Int8 | null;
  email_verified_at: Int8 | null;
}

interface SessionRow {
  id: string;
  user_id: string;
  mode: SessionRecord['mode'];
  secret_hash: string;
  previous_secret_hash: string | null;
  rotated_at: Int8 | null;
  generation: number;
  device: string;
  ip: string;
  created_at: Int8;
  last_seen_at: Int8;
  idle_expires_at: Int8;
  absolute_expires_at: Int8;
  revoked_at: Int8 | null;
}

type SessionAndUserRow = SessionRow & { [K in keyof UserRow as `u_${K}`]: UserRow[K] };

/**
 * A row of the session check: the columns of {@link SessionCheck} but the two ids (11 of the 21
 * above): the record's is the one looked up, its user's is the record's `user_id`.
 */
type SessionCheckRow = Pick<SessionRow, 'user_id' | 'mode' | 'secret_hash' | 'last_seen_at' | 'idle_expires_at' | 'absolute_expires_at' | 'revoked_at'>
  & Pick<SessionAndUserRow, 'u_email' | 'u_created_at' | 'u_disabled_at' | 'u_email_verified_at'>;

interface RevocationRow {
  seq: Int8;
  kind: RevocationEntry['kind'];
  subject: string;
  at: Int8;
  expires_at: Int8;
}

interface AuditRow {
  seq: Int8;
  at: Int8;
  type: AuditEntry['type'];
  user_id: string | null;
  session_id: string | null;
  ip: string | null;
  detail: string | null;
}

interface FailureRow {
  count: number;
  oldest_at: Int8 | null;
}

interface KeyRow {
  kid: string;
  alg: SigningKeyRecord['alg'];
  public_jwk: string | null;
  private_jwk: string;
  created_at: Int8;
  activates_at: Int8;
  retires_at: Int8 | null;
  expires_at: Int8 | null;
}

const num = (value: Int8): number => Number(value);
const numOrNull = (value: Int8 | null): number | null => (value === null ? null : Number(value));

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  email: r.email,
  emailNormalized: r.email_normalized,
  passwordHash: r.password_hash,
  createdAt: num(r.created_at),
  disabledAt: numOrNull(r.disabled_at),
  emailVerifiedAt: numOrNull(r.email_verified_at),
});

const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id,
  userId: r.user_id,
  mode: r.mode,
  secretHash: r.secret_hash,
  previousSecretHash: r.previous_secret_hash,
  rotatedAt: numOrNull(r.rotated_at),
  generation: r.generation,
  device: r.device,
  ip: r.ip,
  createdAt: num(r.created_at),
  lastSeenAt: num(r.last_seen_at),
  idleExpiresAt: num(r.idle_expires_at),
  absoluteExpiresAt: num(r.absolute_expires_at),
  revokedAt: numOrNull(r.revoked_at),
});

const toSessionCheck = (sessionId: string, r: SessionCheckRow): SessionCheck => ({
  session: {
    id: sessionId,
    userId: r.user_id,
    mode: r.mode,
    secretHash: r.secret_hash,
    lastSeenAt: num(r.last_seen_at),
    idleExpiresAt: num(r.idle_expires_at),
    absoluteExpiresAt: num(r.absolute_expires_at),
    revokedAt: numOrNull(r.revoked_at),
  },
  user: {
    id: r.user_id,
    email: r.u_email,
    createdAt: num(r.u_created_at),
    disabledAt: numOrNull(r.u_disabled_at),
    emailVerifiedAt: numOrNull(r.u_email_verified_at),
  },
});

const toRevocation = (r: RevocationRow): RevocationEntry => ({
  seq: num(r.seq),
  kind: r.kind,
  subject: r.subject,
  at: num(r.at),
  expiresAt: num(r.expires_at),
});

const toAudit = (r: AuditRow): AuditEntry => ({
  seq: num(r.seq),
  at: num(r.at),
  type: r.type,
  userId: r.user_id,
  sessionId: r.session_id,
  ip: r.ip,
  detail: r.detail,
});

const toFailureCount = (r: FailureRow | undefined): FailureCount => ({
  count: r?.count ?? 0,
  oldestAt: r ? numOrNull(r.oldest_at) : null,
});

const toKey = (r: KeyRow): SigningKeyRecord => ({
  kid: r.kid,
  alg: r.alg,
  publicJwk: r.public_jwk,
  privateJwk: r.private_jwk,
  createdAt: num(r.created_at),
  activatesAt: num(r.activates_at),
  retiresAt: numOrNull(r.retires_at),
  expiresAt: numOrNull(r.expires_at),
});

const USER_COLUMNS = 'id, email, email_normalized, password_hash, created_at, disabled_at, email_verified_at';

const AUDIT_COLUMNS = 'seq, at, type, user_id, session_id, ip, detail';

/** Larger than any seq: the "before" of a first page. */
const MAX_SEQ = '9223372036854775807';

const SESSION_COLUMNS = `id, user_id, mode, secret_hash, previous_secret_hash, rotated_at, generation, device, ip,
  created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at`;

/** Prefixes each column of a comma-separated list with a table alias (and optionally aliases it). */
const qualified = (columns: string, table: string, prefix = ''): string =>
  columns
    .split(',')
    .map((c) => c.trim())
    .map((c) => `${table}.${c}${prefix ? ` AS ${prefix}${c}` : ''}`)
    .join(', ');

/** Active at `$n`: not revoked, neither expiry reached. */
const active = (n: number): string => `revoked_at IS NULL AND idle_expires_at > $${n} AND absolute_expires_at > $${n}`;

/**
 * A named (prepared) statement. The name carries a hash of the text, so two stores on one pool
 * (two schemas) never reuse a name for a different text, and stays under PostgreSQL's 63 bytes.
 */
function named(label: string, text: string): (values: unknown[]) => QueryConfig {
  const name = `tessera_${label}_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
  return (values) => ({ name, text, values });
}

/** Every statement, with the schema spliced in (once, at construction). */
function buildStatements(s: string) {
  return {
    insertUser: named('insert_user', `INSERT INTO ${s}.users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`),
    userById: named('user_by_id', `SELECT ${USER_COLUMNS} FROM ${s}.users WHERE id = $1`),
    userByEmail: named('user_by_email', `SELECT ${USER_COLUMNS} FROM ${s}.users WHERE email_normalized = $1`),
    updatePasswordHash: named('update_password', `UPDATE ${s}.users SET password_hash = $2 WHERE id = $1`),
    // '' sorts before every id (COLLATE "C"): "after nothing" is the first page.
    listUsers: named('list_users', `SELECT ${USER_COLUMNS} FROM ${s}.users WHERE id > $1 ORDER BY id LIMIT $2`),
    setUserDisabled: named('set_user_disabled', `UPDATE ${s}.users SET disabled_at = $2 WHERE id = $1`),
    // Session records go with the user (ON DELETE CASCADE).
    deleteUser: named('delete_user', `DELETE FROM ${s}.users WHERE id = $1`),
    countActive: named('count_active', `SELECT count(*) AS count FROM ${s}.sessions WHERE ${active(1)}`),
    insertAudit: named(
      'insert_audit',
      `INSERT INTO ${s}.audit_log (at, type, user_id, session_id, ip, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
    ),
    // Two statements rather than one with "$1 IS NULL OR": each keeps a plan that uses its index.
    auditAll: named('audit_all', `SELECT ${AUDIT_COLUMNS} FROM ${s}.audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2`),
    auditOfUser: named(
      'audit_of_user',
      `SELECT ${AUDIT_COLUMNS} FROM ${s}.audit_log WHERE user_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
    ),
    insertSession: named(
      'insert_session',
      `INSERT INTO ${s}.sessions (${SESSION_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    ),
    sessionAndUser: named(
      'session_and_user',
      `SELECT ${qualified(SESSION_COLUMNS, 'se')}, ${qualified(USER_COLUMNS, 'us', 'u_')}
       FROM ${s}.sessions se JOIN ${s}.users us ON us.id = se.user_id
       WHERE se.id = $1`,
    ),
    // What a session-cookie check reads: not the password hash, device or ip (toSessionCheck).
    sessionCheck: named(
      'session_check',
      `SELECT se.user_id, se.mode, se.secret_hash, se.last_seen_at, se.idle_expires_at, se.absolute_expires_at,
              se.revoked_at, us.email AS u_email, us.created_at AS u_created_at,
              us.disabled_at AS u_disabled_at, us.email_verified_at AS u_email_verified_at
       FROM ${s}.sessions se JOIN ${s}.users us ON us.id = se.user_id
       WHERE se.id = $1`,
    ),
    touchSession: named(
      'touch_session',
      `UPDATE ${s}.sessions SET last_seen_at = $2, idle_expires_at = LEAST($3::bigint, absolute_expires_at)
       WHERE id = $1 AND ${active(2)}`,
    ),
    userSessions: named(
      'user_sessions',
      `SELECT ${SESSION_COLUMNS} FROM ${s}.sessions
       WHERE user_id = $1 AND ${active(2)} ORDER BY created_at DESC, id DESC`,
    ),
    // One statement: end the records, then append their entries (and the user entry) in the
    // order the contract gives (listed order, or newest first with `all`; the user entry last).
    // The data-modifying CTEs run in one snapshot; the INSERT's ORDER BY fixes the seq order.
    endSessions: named(
      'end_sessions',
      `WITH ended AS (
         UPDATE ${s}.sessions SET revoked_at = $2
         WHERE user_id = $1 AND ($3::boolean OR id = ANY ($4::text[])) AND id IS DISTINCT FROM $5::text
           AND ${active(2)}
         RETURNING id, created_at, array_position($4::text[], id) AS position
       ), entries AS (
         SELECT 'session' AS kind, id AS subject, 0 AS grp, position, created_at FROM ended
         UNION ALL
         SELECT 'user', $1::text, 1, NULL, NULL WHERE $6::boolean
       ), inserted AS (
         INSERT INTO ${s}.revocations (kind, subject, at, expires_at)
         SELECT kind, subject, $2::bigint, $7::bigint FROM entries
         ORDER BY grp, position, created_at DESC, subject COLLATE "C" DESC
         RETURNING seq, kind, subject
       )
       SELECT subject AS id FROM inserted WHERE kind = 'session' ORDER BY seq`,
    ),
    // The compare-and-set: of N concurrent rotations with the same expected hash, the first
    // takes the row lock and changes secret_hash; the others re-check the WHERE clause on the
    // new row version (READ COMMITTED) and match nothing.
    rotate: named(
      'rotate',
      `UPDATE ${s}.sessions SET previous_secret_hash = secret_hash, secret_hash = $3, rotated_at = $4,
         generation = generation + 1, last_seen_at = $4, idle_expires_at = LEAST($5::bigint, absolute_expires_at)
       WHERE id = $1 AND secret_hash = $2 AND ${active(4)}`,
    ),
    appendRevocations: named(
      'append_revocations',
      `WITH inserted AS (
         INSERT INTO ${s}.revocations (kind, subject, at, expires_at)
         SELECT kind, subject, at, expires_at
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY
           AS e (kind, subject, at, expires_at, position)
         ORDER BY position
         RETURNING seq, kind, subject, at, expires_at
       )
       SELECT seq, kind, subject, at, expires_at FROM inserted ORDER BY seq`,
    ),
    listRevocations: named(
      'list_revocations',
      `SELECT seq, kind, subject, at, expires_at FROM ${s}.revocations
       WHERE seq > $1 AND expires_at > $2 ORDER BY seq LIMIT $3`,
    ),
    // The new row is invisible to the rest of the statement (one snapshot): count it explicitly.
    addFailure: named(
      'add_failure',
      `WITH inserted AS (
         INSERT INTO ${s}.login_failures (key, at, expires_at) VALUES ($1, $2, $4) RETURNING at
       ), counted AS (
         SELECT at FROM ${s}.login_failures WHERE key = $1 AND at >= $3
         UNION ALL
         SELECT at FROM inserted WHERE at >= $3
       )
       SELECT count(*)::integer AS count, min(at) AS oldest_at FROM counted`,
    ),
    countFailures: named(
      'count_failures',
      `SELECT count(*)::integer AS count, min(at) AS oldest_at FROM ${s}.login_failures WHERE key = $1 AND at >= $2`,
    ),
    clearFailures: named('clear_failures', `DELETE FROM ${s}.login_failures WHERE key = $1`),
    // The table has no key of its own: one row of equal (key, at) is as good as another.
    removeFailure: named(
      'remove_failure',
      `DELETE FROM ${s}.login_failures WHERE ctid = (SELECT ctid FROM ${s}.login_failures WHERE key = $1 AND at = $2 LIMIT 1)`,
    ),
    listKeys: named(
      'list_keys',
      `SELECT kid, alg, public_jwk, private_jwk, created_at, activates_at, retires_at, expires_at
       FROM ${s}.signing_keys ORDER BY created_at, kid`,
    ),
    insertKey: named(
      'insert_key',
      `INSERT INTO ${s}.signing_keys (kid, alg, public_jwk, private_jwk, created_at, activates_at, retires_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    ),
    updateKey: named('update_key', `UPDATE ${s}.signing_keys SET retires_at = $2, expires_at = $3 WHERE kid = $1`),
    // Usually one round trip: the inserted value, or the stored one. When a concurrent first
    // call committed the row after this statement's snapshot, both branches are empty and
    // `secret` (a new statement, a new snapshot) reads the winner.
    getOrCreateSecret: named(
      'get_or_create_secret',
      `WITH inserted AS (
         INSERT INTO ${s}.server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value
       )
       SELECT value FROM inserted
       UNION ALL
       SELECT value FROM ${s}.server_secrets WHERE name = $1`,
    ),
    secret: named('secret', `SELECT value FROM ${s}.server_secrets WHERE name = $1`),
    acquireLease: named(
      'acquire_lease',
      `INSERT INTO ${s}.leases (name, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE ${s}.leases.expires_at <= $4 OR ${s}.leases.holder = EXCLUDED.holder`,
    ),
    releaseLease: named('release_lease', `DELETE FROM ${s}.leases WHERE name = $1 AND holder = $2`),
    purge: named(
      'purge',
      `WITH s AS (
         DELETE FROM ${s}.sessions
         WHERE revoked_at IS NOT NULL OR idle_expires_at <= $1 OR absolute_expires_at <= $1 RETURNING 1
       ), r AS (
         DELETE FROM ${s}.revocations WHERE expires_at <= $1 RETURNING 1
       ), f AS (
         DELETE FROM ${s}.login_failures WHERE expires_at <= $1 RETURNING 1
       ), k AS (
         DELETE FROM ${s}.signing_keys WHERE expires_at <= $1 RETURNING 1
       )${accountPurgeParts(s).ctes}
       SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM r) + (SELECT count(*) FROM f) + (SELECT count(*) FROM k)${accountPurgeParts(s).count}
         AS removed`,
    ),
    account: buildAccountStatements(s),
  };
}

type Statements = ReturnType<typeof buildStatements>;

/**
 * The PostgreSQL implementation of the storage contract, for several nodes sharing one
 * database: what {@link createPostgresStore} returns. It owns its pool: `close()` ends it.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createPostgresStore } from 'tessera/postgres'
 * import type { PostgresStore } from 'tessera/postgres'
 *
 * const store: PostgresStore = createPostgresStore(new pg.Pool({ connectionString: process.env.DATABASE_URL }))
 * await store.migrate()
 * console.log(`tables in schema ${store.schema}`)
 * ```
 */
export class PostgresStore implements Store {
  /** The schema the tables live in (unquoted). */
  readonly schema: string;
  readonly #pool: Pool;
  readonly #sql: Statements;
  /** Opens a feed transaction: `BEGIN` and the feed lock in one round trip (simple protocol). */
  readonly #beginFeed: string;
  #closed = false;

  constructor(pool: Pool, options: PostgresStoreOptions = {}) {
    const schema = options.schema ?? 'tessera';
    const quoted = quotePostgresSchema(schema);
    this.schema = schema;
    this.#pool = pool;
    this.#sql = buildStatements(quoted);
    this.#beginFeed = `BEGIN; SELECT pg_advisory_xact_lock(${postgresLockKey('feed', schema)})`;
  }

  async #query<R extends QueryResultRow>(config: QueryConfig) {
    return this.#pool.query<R>(config);
  }

  /**
   * Runs `work` in a transaction that appends to the revocation feed, on one pooled client.
   *
   * The feed's `seq` comes from a sequence, and sequence values are handed out at INSERT time,
   * not at COMMIT time: without a lock, a transaction holding seq 7 may commit after one holding
   * seq 8 was read, and a reader polling `seq > 8` would never see 7. Taking the schema's feed
   * advisory lock (held until COMMIT) before inserting serialises the appends, so seq order is
   * commit order: whoever reads seq n can already read everything below it.
   */
  async #feedTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, this.#beginFeed, [], work);
  }

  /** See {@link migratePostgres}. */
  async migrate(): Promise<void> {
    await migratePostgres(this.#pool, this.schema);
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  /** Ends the pool (`pool.end()`), waiting for checked-out clients. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#pool.ending && !this.#pool.ended) await this.#pool.end();
  }

  async createUser(user: UserRecord): Promise<void> {
    try {
      await this.#query(this.#sql.insertUser([
        user.id, user.email, user.emailNormalized, user.passwordHash, user.createdAt, user.disabledAt, user.emailVerifiedAt,
      ]));
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_normalized')) throw new TesseraError('email_taken', { cause: error });
      throw error;
    }
  }

  async getUserById(id: string): Promise<UserRecord | null> {
    const { rows } = await this.#query<UserRow>(this.#sql.userById([id]));
    return rows[0] ? toUser(rows[0]) : null;
  }

  async getUserByEmail(emailNormalized: string): Promise<UserRecord | null> {
    const { rows } = await this.#query<UserRow>(this.#sql.userByEmail([emailNormalized]));
    return rows[0] ? toUser(rows[0]) : null;
  }

  async updatePasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.#query(this.#sql.updatePasswordHash([userId, passwordHash]));
  }

  async listUsers(query: UserPageQuery): Promise<UserRecord[]> {
    const { rows } = await this.#query<UserRow>(this.#sql.listUsers([query.afterId ?? '', Math.max(0, query.limit)]));
    return rows.map(toUser);
  }

  async setUserDisabled(userId: string, disabledAt: number | null): Promise<boolean> {
    const { rowCount } = await this.#query(this.#sql.setUserDisabled([userId, disabledAt]));
    return rowCount === 1;
  }

  async deleteUser(userId: string): Promise<boolean> {
    const { rowCount } = await this.#query(this.#sql.deleteUser([userId]));
    return rowCount === 1;
  }

  async updateUserEmail(userId: string, email: string, emailNormalized: string, emailVerifiedAt: number | null): Promise<boolean> {
    try {
      const { rowCount } = await this.#query(this.#sql.account.updateUserEmail([userId, email, emailNormalized, emailVerifiedAt]));
      return rowCount === 1;
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_normalized')) throw new TesseraError('email_taken', { cause: error });
      throw error;
    }
  }

  async setEmailVerified(userId: string, emailNormalized: string, at: number): Promise<boolean> {
    const { rowCount } = await this.#query(this.#sql.account.setEmailVerified([userId, emailNormalized, at]));
    return rowCount === 1;
  }

  async createAccountToken(t: AccountTokenRecord): Promise<void> {
    await this.#query(this.#sql.account.insertToken([t.id, t.userId, t.purpose, t.secretHash, t.email, t.createdAt, t.expiresAt]));
  }

  async getAccountToken(id: string): Promise<AccountTokenRecord | null> {
    const { rows } = await this.#query<AccountTokenRow>(this.#sql.account.tokenById([id]));
    return rows[0] ? toAccountToken(rows[0]) : null;
  }

  async consumeAccountToken(id: string, purpose: AccountTokenPurpose, secretHash: string, now: number): Promise<AccountTokenRecord | null> {
    const { rows } = await this.#query<AccountTokenRow>(this.#sql.account.consumeToken([id, purpose, secretHash, now]));
    return rows[0] ? toAccountToken(rows[0]) : null;
  }

  async deleteAccountTokens(userId: string, purposes: readonly AccountTokenPurpose[]): Promise<number> {
    const { rowCount } = await this.#query(this.#sql.account.deleteTokens([userId, [...purposes]]));
    return rowCount ?? 0;
  }

  async appendOutboxMail(m: NewOutboxMail): Promise<void> {
    await this.#query(this.#sql.account.insertMail([m.at, m.to, m.subject, m.text, m.html, m.expiresAt]));
  }

  async listOutboxMail(query: { limit: number }): Promise<OutboxMail[]> {
    const { rows } = await this.#query<OutboxMailRow>(this.#sql.account.listMail([Math.max(0, query.limit)]));
    return rows.map(toOutboxMail);
  }

  async createSession(s: SessionRecord): Promise<void> {
    await this.#query(this.#sql.insertSession([
      s.id, s.userId, s.mode, s.secretHash, s.previousSecretHash, s.rotatedAt, s.generation, s.device, s.ip,
      s.createdAt, s.lastSeenAt, s.idleExpiresAt, s.absoluteExpiresAt, s.revokedAt,
    ]));
  }

  async getSessionAndUser(sessionId: string): Promise<SessionAndUser | null> {
    const { rows } = await this.#query<SessionAndUserRow>(this.#sql.sessionAndUser([sessionId]));
    const row = rows[0];
    if (!row) return null;
    return {
      session: toSession(row),
      user: toUser({
        id: row.u_id,
        email: row.u_email,
        email_normalized: row.u_email_normalized,
        password_hash: row.u_password_hash,
        created_at: row.u_created_at,
        disabled_at: row.u_disabled_at,
        email_verified_at: row.u_email_verified_at,
      }),
    };
  }

  async getSessionCheck(sessionId: string): Promise<SessionCheck | null> {
    const { rows } = await this.#query<SessionCheckRow>(this.#sql.sessionCheck([sessionId]));
    return rows[0] ? toSessionCheck(sessionId, rows[0]) : null;
  }

  async touchSession(sessionId: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    await this.#query(this.#sql.touchSession([sessionId, lastSeenAt, idleExpiresAt]));
  }

  async listUserSessions(userId: string, now: number): Promise<SessionRecord[]> {
    const { rows } = await this.#query<SessionRow>(this.#sql.userSessions([userId, now]));
    return rows.map(toSession);
  }

  async endSessions(request: EndSessionsRequest): Promise<string[]> {
    const all = request.all === true;
    const values = [
      request.userId,
      request.at,
      all,
      all ? [] : [...(request.sessionIds ?? [])],
      request.exceptSessionId ?? null,
      request.userNotBefore === true,
      request.feedExpiresAt,
    ];
    return this.#feedTransaction(async (client) => {
      const { rows } = await client.query<{ id: string }>(this.#sql.endSessions(values));
      return rows.map((row) => row.id);
    });
  }

  async rotateRefreshSecret(r: RefreshRotation): Promise<boolean> {
    const { rowCount } = await this.#query(this.#sql.rotate([
      r.sessionId, r.expectedSecretHash, r.newSecretHash, r.at, r.idleExpiresAt,
    ]));
    return rowCount === 1;
  }

  async countActiveSessions(now: number): Promise<number> {
    const { rows } = await this.#query<{ count: Int8 }>(this.#sql.countActive([now]));
    return rows[0] ? num(rows[0].count) : 0;
  }

  async appendRevocations(entries: readonly NewRevocation[]): Promise<RevocationEntry[]> {
    if (entries.length === 0) return [];
    const values = [
      entries.map((e) => e.kind),
      entries.map((e) => e.subject),
      entries.map((e) => e.at),
      entries.map((e) => e.expiresAt),
    ];
    return this.#feedTransaction(async (client) => {
      const { rows } = await client.query<RevocationRow>(this.#sql.appendRevocations(values));
      return rows.map(toRevocation);
    });
  }

  async listRevocations(afterSeq: number, now: number, limit: number): Promise<RevocationEntry[]> {
    // PostgreSQL rejects a negative LIMIT; the contract means at most `limit` (none).
    const { rows } = await this.#query<RevocationRow>(this.#sql.listRevocations([afterSeq, now, Math.max(0, limit)]));
    return rows.map(toRevocation);
  }

  /**
   * One INSERT. Unlike the feed, audit appends take no lock: a reader paging newest first may
   * see seq n+1 committed before seq n, which costs a page reader nothing (it reads backwards).
   */
  async appendAudit(e: NewAuditEntry): Promise<void> {
    await this.#query(this.#sql.insertAudit([e.at, e.type, e.userId, e.sessionId, e.ip, e.detail]));
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const before = query.beforeSeq ?? MAX_SEQ;
    const limit = Math.max(0, query.limit);
    const { rows } = await this.#query<AuditRow>(query.userId === undefined
      ? this.#sql.auditAll([before, limit])
      : this.#sql.auditOfUser([query.userId, before, limit]));
    return rows.map(toAudit);
  }

  async addLoginFailure(key: string, at: number, since: number, expiresAt: number): Promise<FailureCount> {
    // Additions to one key must count each other: a burst of sign-in attempts or of mail
    // requests is judged by counts that include it. Under READ COMMITTED a statement sees what
    // was committed when it began, so concurrent inserts each counted only themselves (a
    // burst of 100 reset requests for one address all passed a budget of 5). A per-key
    // advisory lock, held to COMMIT, makes the counting statement begin after the others ended.
    return inTransaction(this.#pool, 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`tessera/${this.schema}/failures/${key}`], async (client) => {
      const { rows } = await client.query<FailureRow>(this.#sql.addFailure([key, at, since, expiresAt]));
      return toFailureCount(rows[0]);
    });
  }

  async countLoginFailures(key: string, since: number): Promise<FailureCount> {
    const { rows } = await this.#query<FailureRow>(this.#sql.countFailures([key, since]));
    return toFailureCount(rows[0]);
  }

  async clearLoginFailures(key: string): Promise<void> {
    await this.#query(this.#sql.clearFailures([key]));
  }

  async removeLoginFailure(key: string, at: number): Promise<void> {
    await this.#query(this.#sql.removeFailure([key, at]));
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const { rows } = await this.#query<KeyRow>(this.#sql.listKeys([]));
    return rows.map(toKey);
  }

  async insertSigningKey(k: SigningKeyRecord): Promise<void> {
    await this.#query(this.#sql.insertKey([
      k.kid, k.alg, k.publicJwk, k.privateJwk, k.createdAt, k.activatesAt, k.retiresAt, k.expiresAt,
    ]));
  }

  async updateSigningKey(kid: string, changes: Pick<SigningKeyRecord, 'retiresAt' | 'expiresAt'>): Promise<void> {
    await this.#query(this.#sql.updateKey([kid, changes.retiresAt, changes.expiresAt]));
  }

  async getOrCreateSecret(name: string, candidate: string): Promise<string> {
    // A second attempt only if the competing first insert was rolled back in between.
    for (let attempt = 0; attempt < 3; attempt++) {
      const created = await this.#query<{ value: string }>(this.#sql.getOrCreateSecret([name, candidate]));
      if (created.rows[0]) return created.rows[0].value;
      const stored = await this.#query<{ value: string }>(this.#sql.secret([name]));
      if (stored.rows[0]) return stored.rows[0].value;
    }
    throw new Error(`The server secret ${JSON.stringify(name)} could be neither created nor read.`);
  }

  async tryAcquireLease(name: string, holder: string, now: number, expiresAt: number): Promise<boolean> {
    const result = await this.#query(this.#sql.acquireLease([name, holder, expiresAt, now]));
    return result.rowCount === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#query(this.#sql.releaseLease([name, holder]));
  }

  async purgeExpired(now: number): Promise<number> {
    const { rows } = await this.#query<{ removed: Int8 }>(this.#sql.purge([now]));
    return rows[0] ? num(rows[0].removed) : 0;
  }
}

/**
 * A unique violation (SQLSTATE 23505) of the named constraint or index. Duck-typed (not
 * `instanceof DatabaseError`): the injected pool may come from another copy of `pg`.
 */
function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return typeof e === 'object' && e !== null && e.code === '23505' && e.constraint === constraint;
}

import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

// The PostgreSQL schema: naming and quoting the schema, the advisory-lock keys, and the
// numbered migration steps with the code that applies them.

/** Valid schema names: lower-case unquoted PostgreSQL identifiers, at most 63 bytes. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks a schema name and returns it double-quoted, ready to splice into SQL. Throws a
 * `TypeError` for anything but `/^[a-z_][a-z0-9_]{0,62}$/`, and for the `pg_` prefix
 * (reserved by PostgreSQL for system schemas).
 */
export function quotePostgresSchema(schema: string): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new TypeError(`Invalid PostgreSQL schema name ${JSON.stringify(schema)}: expected /^[a-z_][a-z0-9_]{0,62}$/.`);
  }
  if (schema.startsWith('pg_')) {
    throw new TypeError(`Invalid PostgreSQL schema name ${JSON.stringify(schema)}: the pg_ prefix is reserved.`);
  }
  return `"${schema}"`;
}

/** What an advisory lock of the store serialises. */
export type PostgresLockPurpose = 'migrate' | 'feed';

/**
 * The 64-bit advisory-lock key of `purpose` for `schema` (the first 8 bytes of
 * `SHA-256("tessera:<purpose>:<schema>")`, signed), as a decimal string for SQL. Fixed for a
 * schema, distinct between schemas: stores of different schemas never wait for each other.
 * `'migrate'` serialises {@link migratePostgres}; `'feed'` serialises the transactions that
 * append to the revocation feed, so that `seq` order is commit order.
 */
export function postgresLockKey(purpose: PostgresLockPurpose, schema: string): string {
  quotePostgresSchema(schema);
  return createHash('sha256').update(`tessera:${purpose}:${schema}`).digest().readBigInt64BE(0).toString();
}

/**
 * The schema as numbered migration steps, each a function of the quoted schema name. Step `n`
 * (1-based) is recorded as version `n` in `schema_migrations`. Steps are append-only: never
 * edit a released step, add one.
 *
 * Text keys use `COLLATE "C"` so that orderings (`id DESC`, `kid`) are byte order, as in
 * SQLite, whatever the database's default collation. Times are `BIGINT` milliseconds.
 */
export const POSTGRES_MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  // 1: the initial schema.
  (s) => `
  CREATE TABLE ${s}.users (
    id               TEXT COLLATE "C" PRIMARY KEY,
    email            TEXT NOT NULL,
    email_normalized TEXT COLLATE "C" NOT NULL,
    password_hash    TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    disabled_at      BIGINT
  );
  CREATE UNIQUE INDEX users_email_normalized ON ${s}.users (email_normalized);

  -- fillfactor: room on each page for the updates of touchSession and rotations (HOT updates).
  CREATE TABLE ${s}.sessions (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    user_id              TEXT COLLATE "C" NOT NULL REFERENCES ${s}.users (id) ON DELETE CASCADE,
    mode                 TEXT NOT NULL CHECK (mode IN ('session', 'jwt')),
    secret_hash          TEXT NOT NULL,
    previous_secret_hash TEXT,
    rotated_at           BIGINT,
    generation           INTEGER NOT NULL DEFAULT 0,
    device               TEXT NOT NULL,
    ip                   TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    last_seen_at         BIGINT NOT NULL,
    idle_expires_at      BIGINT NOT NULL,
    absolute_expires_at  BIGINT NOT NULL,
    revoked_at           BIGINT
  ) WITH (fillfactor = 90);
  CREATE INDEX sessions_user_id ON ${s}.sessions (user_id);

  -- seq: a sequence never hands out a value twice (purged entries leave their seq unused).
  -- Appends take the 'feed' advisory lock, so seq order is also commit order.
  CREATE TABLE ${s}.revocations (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('session', 'user', 'jti')),
    subject    TEXT NOT NULL,
    at         BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX revocations_expires_at ON ${s}.revocations (expires_at);

  CREATE TABLE ${s}.login_failures (
    key        TEXT COLLATE "C" NOT NULL,
    at         BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX login_failures_key_at ON ${s}.login_failures (key, at);

  CREATE TABLE ${s}.signing_keys (
    kid          TEXT COLLATE "C" PRIMARY KEY,
    alg          TEXT NOT NULL CHECK (alg IN ('EdDSA', 'ES256', 'RS256', 'HS256')),
    public_jwk   TEXT,
    private_jwk  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    activates_at BIGINT NOT NULL,
    retires_at   BIGINT,
    expires_at   BIGINT
  );

  CREATE TABLE ${s}.server_secrets (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: leases (one key rotation at a time across instances).
  (s) => `
  CREATE TABLE ${s}.leases (
    name       TEXT COLLATE "C" PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  `,
  // 3: the audit log. No foreign key on user_id: entries outlive the account they concern, and
  // no CHECK on type: new features add types without a migration. Read newest first, per user.
  (s) => `
  CREATE TABLE ${s}.audit_log (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    type       TEXT NOT NULL,
    user_id    TEXT COLLATE "C",
    session_id TEXT,
    ip         TEXT,
    detail     TEXT
  );
  CREATE INDEX audit_log_user_id_seq ON ${s}.audit_log (user_id, seq);
  `,
  // 4: account lifecycle. Existing accounts start unverified (nothing proved their address).
  // Account tokens go with their user (ON DELETE CASCADE); the outbox holds development mail.
  (s) => `
  ALTER TABLE ${s}.users ADD COLUMN email_verified_at BIGINT;

  CREATE TABLE ${s}.account_tokens (
    id          TEXT COLLATE "C" PRIMARY KEY,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES ${s}.users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('email_verification', 'password_reset', 'email_change')),
    secret_hash TEXT NOT NULL,
    email       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
  );
  CREATE INDEX account_tokens_user_id ON ${s}.account_tokens (user_id);
  CREATE INDEX account_tokens_expires_at ON ${s}.account_tokens (expires_at);

  CREATE TABLE ${s}.mail_outbox (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    text_body  TEXT NOT NULL,
    html_body  TEXT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX mail_outbox_expires_at ON ${s}.mail_outbox (expires_at);
  `,
  // 5: email keys fold Greek final sigma (ς) to σ, as normalizeEmail now does; a key whose
  // folded form any other account's key shares, folded or not, is left as it was (as in
  // SQLite's step 5).
  (s) => `
  UPDATE ${s}.users AS u SET email_normalized = replace(u.email_normalized, 'ς', 'σ')
  WHERE strpos(u.email_normalized, 'ς') > 0
    AND NOT EXISTS (SELECT 1 FROM ${s}.users other WHERE other.id <> u.id AND replace(other.email_normalized, 'ς', 'σ') = replace(u.email_normalized, 'ς', 'σ'));
  `,
];

/**
 * The schema version this code expects (the highest version in `schema_migrations`): a
 * deployment can check a database before it starts this version.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { POSTGRES_SCHEMA_VERSION } from 'tessera/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * const { rows } = await pool.query<{ version: number | null }>('SELECT max(version) AS version FROM tessera.schema_migrations')
 * if (rows[0]?.version !== POSTGRES_SCHEMA_VERSION) console.warn('the database needs `migrate` first')
 * ```
 */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.length;

/**
 * Creates the schema if needed and applies the missing migration steps, all in one transaction
 * under the schema's `'migrate'` advisory lock (`pg_advisory_xact_lock`), so that several
 * instances starting at once apply each step exactly once: the others wait, then find nothing
 * to do. Idempotent. Throws if the schema was migrated by a newer version of Tessera.
 *
 * `CREATE SCHEMA` runs only when the schema does not exist, so a role without the `CREATE`
 * privilege on the database can migrate a schema an administrator created for it.
 * `store.migrate()` calls it; call it yourself to migrate with a pool of its own (a deploy
 * step, or longer timeouts than the request path's).
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { migratePostgres } from 'tessera/postgres'
 *
 * // One patient connection: an instance starting with others waits here for their migration.
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1, connectionTimeoutMillis: 30_000 })
 * try {
 *   await migratePostgres(pool, 'tessera')
 * } finally {
 *   await pool.end()
 * }
 * ```
 */
export async function migratePostgres(pool: Pool, schema: string): Promise<void> {
  const s = quotePostgresSchema(schema);
  await inTransaction(pool, `BEGIN; SELECT pg_advisory_xact_lock(${postgresLockKey('migrate', schema)})`, [], async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
         version    INTEGER PRIMARY KEY,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const version = await schemaVersion(client, s);
    if (version > POSTGRES_SCHEMA_VERSION) {
      throw new Error(
        `The PostgreSQL schema ${s} has version ${version}, newer than this version of Tessera supports (${POSTGRES_SCHEMA_VERSION}).`,
      );
    }
    for (let step = version; step < POSTGRES_SCHEMA_VERSION; step++) {
      await client.query(POSTGRES_MIGRATIONS[step]!(s));
      await client.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [step + 1]);
    }
  });
}

/**
 * Runs `work` in a transaction on one client of `pool`: `begin` (a `BEGIN`, and what must come
 * with it in one round trip; or a statement run after `BEGIN` with `values`), then `COMMIT`, or
 * `ROLLBACK` when `work` throws. The client is released afterwards, and discarded when it broke.
 *
 * While it is checked out a client has no listener of pg-pool's: a connection lost in the
 * middle of a query emits an `'error'` event besides rejecting the query, and an event nobody
 * hears ends the Node process (a sign-out in flight while PostgreSQL restarted killed the
 * server). So the client is listened to for as long as it is out.
 */
export async function inTransaction<T>(pool: Pool, begin: string, values: unknown[], work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: unknown;
  const onError = (error: Error): void => {
    broken ??= error;
  };
  client.on('error', onError);
  try {
    if (values.length === 0) await client.query(begin);
    else {
      await client.query('BEGIN');
      await client.query(begin, values);
    }
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken ??= await rollback(client);
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken as Error | undefined);
  }
}

/** The highest applied version of the (quoted) schema, 0 when none. */
async function schemaVersion(client: PoolClient, s: string): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.schema_migrations`);
  return rows[0]?.version ?? 0;
}

/**
 * Rolls back the client's transaction. Returns the error when the rollback itself failed (the
 * connection is broken: release it with that error so the pool discards it), else undefined.
 */
export async function rollback(client: PoolClient): Promise<unknown> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return error ?? new Error('ROLLBACK failed');
  }
}

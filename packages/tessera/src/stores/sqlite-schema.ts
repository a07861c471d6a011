import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3Module from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { TesseraError } from '../errors.js';
import { requireOptionalPeer } from '../require-optional-peer.js';

// better-sqlite3 is an optional peer: without it, importing tessera/sqlite says what to install.
const BetterSqlite3 = requireOptionalPeer<typeof BetterSqlite3Module>('better-sqlite3', 'tessera/sqlite', 'better-sqlite3@12');

// Opening a SQLite database for a store, and its schema migrations.


/**
 * The SQLite schema as numbered migration steps. Step `n` (1-based) upgrades a database whose
 * `PRAGMA user_version` is `n - 1`. Steps are append-only: never edit a released step, add one.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  // 1: the initial schema.
  `
  CREATE TABLE users (
    id               TEXT PRIMARY KEY NOT NULL,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,
    password_hash    TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    disabled_at      INTEGER
  );

  CREATE TABLE sessions (
    id                   TEXT PRIMARY KEY NOT NULL,
    user_id              TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mode                 TEXT NOT NULL CHECK (mode IN ('session', 'jwt')),
    secret_hash          TEXT NOT NULL,
    previous_secret_hash TEXT,
    rotated_at           INTEGER,
    generation           INTEGER NOT NULL DEFAULT 0,
    device               TEXT NOT NULL,
    ip                   TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    last_seen_at         INTEGER NOT NULL,
    idle_expires_at      INTEGER NOT NULL,
    absolute_expires_at  INTEGER NOT NULL,
    revoked_at           INTEGER
  );
  CREATE INDEX sessions_user_id ON sessions (user_id);

  CREATE TABLE revocations (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('session', 'user', 'jti')),
    subject    TEXT NOT NULL,
    at         INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX revocations_expires_at ON revocations (expires_at);

  CREATE TABLE login_failures (
    key        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX login_failures_key_at ON login_failures (key, at);

  CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY NOT NULL,
    alg          TEXT NOT NULL CHECK (alg IN ('EdDSA', 'ES256', 'RS256', 'HS256')),
    public_jwk   TEXT,
    private_jwk  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    activates_at INTEGER NOT NULL,
    retires_at   INTEGER,
    expires_at   INTEGER
  );

  CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
  );
  `,
  // 2: leases (one key rotation at a time across instances).
  `
  CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  `,
  // 3: the audit log. No foreign key on user_id: entries outlive the account they concern, and
  // no CHECK on type: new features add types without rebuilding the table.
  `
  CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    type       TEXT NOT NULL,
    user_id    TEXT,
    session_id TEXT,
    ip         TEXT,
    detail     TEXT
  );
  CREATE INDEX audit_log_user_id_seq ON audit_log (user_id, seq);
  `,
  // 4: account lifecycle. Existing accounts start unverified (nothing proved their address).
  // Account tokens go with their user (ON DELETE CASCADE); the outbox holds development mail.
  `
  ALTER TABLE users ADD COLUMN email_verified_at INTEGER;

  CREATE TABLE account_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('email_verification', 'password_reset', 'email_change')),
    secret_hash TEXT NOT NULL,
    email       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
  );
  CREATE INDEX account_tokens_user_id ON account_tokens (user_id);
  CREATE INDEX account_tokens_expires_at ON account_tokens (expires_at);

  CREATE TABLE mail_outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    text_body  TEXT NOT NULL,
    html_body  TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX mail_outbox_expires_at ON mail_outbox (expires_at);
  `,
  // 5: email keys fold Greek final sigma (ς) to σ, as normalizeEmail now does. A key whose
  // folded form any other account's key shares, folded or not (one address, two accounts,
  // made before: ΚΩΣΤΑΣ.ΠΑΠΑΣ and κωστας.παπας), is left as it was: merging accounts is an
  // administrator's decision.
  `
  UPDATE users SET email_normalized = replace(email_normalized, 'ς', 'σ')
  WHERE instr(email_normalized, 'ς') > 0
    AND NOT EXISTS (SELECT 1 FROM users other WHERE other.id <> users.id AND replace(other.email_normalized, 'ς', 'σ') = replace(users.email_normalized, 'ς', 'σ'));
  `,
];

/** The schema version this code expects (`PRAGMA user_version` after {@link migrateSqlite}). */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.length;

/** The database's `PRAGMA user_version`. */
export function sqliteSchemaVersion(db: Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * Applies the missing migration steps, all in one `BEGIN IMMEDIATE` transaction (so two
 * processes starting at once cannot both apply a step). Idempotent. Throws if the database
 * was created by a newer version (a higher `user_version` than this code knows).
 */
export function migrateSqlite(db: Database): void {
  if (checkedVersion(db) === SQLITE_SCHEMA_VERSION) return;
  const apply = db.transaction(() => {
    // Re-read inside the write lock: another connection may have migrated meanwhile.
    for (let version = checkedVersion(db); version < SQLITE_SCHEMA_VERSION; version++) {
      db.exec(SQLITE_MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }
  });
  apply.immediate();
}

function checkedVersion(db: Database): number {
  const version = sqliteSchemaVersion(db);
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new Error(
      `The SQLite database has schema version ${version}, newer than this version of Tessera supports (${SQLITE_SCHEMA_VERSION}).`,
    );
  }
  return version;
}

/**
 * How {@link openSqliteDatabase} sets up the connection.
 *
 * @example
 * ```ts
 * import { openSqliteDatabase } from 'tessera/sqlite'
 * import type { SqliteOpenOptions } from 'tessera/sqlite'
 *
 * // Room for the pages of about 32,000 sessions in use at once (twice the default).
 * const options: SqliteOpenOptions = { cacheSizeMiB: 256 }
 * const db = openSqliteDatabase('data/tessera.db', options)
 * ```
 */
export interface SqliteOpenOptions {
  /**
   * The most memory SQLite's own page cache may hold, in MiB (1 to 65,536; default
   * {@link DEFAULT_SQLITE_CACHE_MIB}). Pages are cached as they are read, so a small database
   * never uses more than its size. A session check whose pages are cached reads nothing from
   * the OS; one whose pages are not pays a system call per page. SQLite's own default (2 MiB)
   * is outgrown by a few thousand sessions in use.
   */
  cacheSizeMiB?: number;
  /**
   * How long a statement that finds the database locked by another connection (another
   * process writing, a `VACUUM`) waits for it, in milliseconds (0 to 60,000; default
   * {@link DEFAULT_SQLITE_BUSY_TIMEOUT_MS}), before it fails and the store answers 503
   * `unavailable`. better-sqlite3 is synchronous, so the wait blocks the whole event loop:
   * every request of the process waits with it. Keep it short.
   */
  busyTimeoutMs?: number;
}

/**
 * Default of {@link SqliteOpenOptions.busyTimeoutMs}: 250 ms, the store timeout of the Redis
 * and PostgreSQL stores. Another process's write (a CLI command) takes milliseconds; a lock
 * held longer is an outage, answered 503 at once rather than by freezing the process. It was
 * 5 s until session 13: with a second connection holding the write lock, one sign-up took
 * 10 s to fail and `/healthz` took 5 s to answer meanwhile (docs/security.md).
 *
 * @example
 * ```ts
 * import { DEFAULT_SQLITE_BUSY_TIMEOUT_MS, openSqliteDatabase } from 'tessera/sqlite'
 *
 * // A batch job of its own, not a server: it may wait longer for the server's writes.
 * const db = openSqliteDatabase('data/tessera.db', { busyTimeoutMs: 20 * DEFAULT_SQLITE_BUSY_TIMEOUT_MS })
 * ```
 */
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 250;
/**
 * Largest accepted {@link SqliteOpenOptions.busyTimeoutMs} (60 s).
 *
 * @example
 * ```ts
 * import { MAX_SQLITE_BUSY_TIMEOUT_MS, openSqliteDatabase } from 'tessera/sqlite'
 *
 * const asked = Number(process.env.SQLITE_BUSY_MS ?? 250)
 * const db = openSqliteDatabase('data/tessera.db', { busyTimeoutMs: Math.min(asked, MAX_SQLITE_BUSY_TIMEOUT_MS) })
 * ```
 */
export const MAX_SQLITE_BUSY_TIMEOUT_MS = 60_000;

/**
 * Default of {@link SqliteOpenOptions.cacheSizeMiB}: 128 MiB. Session ids are random, so each
 * session in use needs its own index leaf page and row leaf page (8 KiB) in the worst case:
 * room for about 16,000 sessions in use at once, and for all of a database of about 400,000.
 *
 * @example
 * ```ts
 * import { DEFAULT_SQLITE_CACHE_MIB, openSqliteDatabase } from 'tessera/sqlite'
 *
 * // Twice the default, for twice as many sessions in use at once.
 * const db = openSqliteDatabase('data/tessera.db', { cacheSizeMiB: 2 * DEFAULT_SQLITE_CACHE_MIB })
 * ```
 */
export const DEFAULT_SQLITE_CACHE_MIB = 128;
/**
 * Largest accepted {@link SqliteOpenOptions.cacheSizeMiB} (64 GiB).
 *
 * @example
 * ```ts
 * import { MAX_SQLITE_CACHE_MIB, openSqliteDatabase } from 'tessera/sqlite'
 *
 * const asked = Number(process.env.SQLITE_CACHE_MB ?? 128)
 * const db = openSqliteDatabase('data/tessera.db', { cacheSizeMiB: Math.min(asked, MAX_SQLITE_CACHE_MIB) })
 * ```
 */
export const MAX_SQLITE_CACHE_MIB = 65_536;

/**
 * Opens (creating if needed) a SQLite database file for a store, with WAL journaling,
 * `synchronous = NORMAL`, a busy timeout of `busyTimeoutMs` (250 ms), foreign keys on and a
 * page cache of `cacheSizeMiB` (see {@link SqliteOpenOptions}). The file holds signing keys: a missing
 * parent directory is created with mode 0700 and a missing file with mode 0600.
 * `':memory:'` opens a private in-memory database.
 *
 * @example
 * ```ts
 * import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite'
 *
 * const db = openSqliteDatabase(`${process.env.DATA_DIR ?? './data'}/tessera.db`)
 * const store = createSqliteStore(db) // the store owns the connection from here on
 * await store.migrate()
 * ```
 */
export function openSqliteDatabase(path: string, options: SqliteOpenOptions = {}): Database {
  const cacheSizeMiB = options.cacheSizeMiB ?? DEFAULT_SQLITE_CACHE_MIB;
  if (!Number.isInteger(cacheSizeMiB) || cacheSizeMiB < 1 || cacheSizeMiB > MAX_SQLITE_CACHE_MIB) {
    throw new TesseraError('invalid_request', { message: `Option cacheSizeMiB must be an integer from 1 to ${MAX_SQLITE_CACHE_MIB}.` });
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > MAX_SQLITE_BUSY_TIMEOUT_MS) {
    throw new TesseraError('invalid_request', { message: `Option busyTimeoutMs must be an integer from 0 to ${MAX_SQLITE_BUSY_TIMEOUT_MS}.` });
  }
  if (path !== ':memory:' && path !== '') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      closeSync(openSync(path, 'wx', 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const db = new BetterSqlite3(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('foreign_keys = ON');
    // A negative cache_size is in KiB rather than pages.
    db.pragma(`cache_size = -${cacheSizeMiB * 1024}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

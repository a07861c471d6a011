import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Database } from 'better-sqlite3';
import { migrateSqlite, SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION, sqliteSchemaVersion } from '../../src/stores/sqlite-schema.js';
import { createSqliteStore, DEFAULT_SQLITE_BUSY_TIMEOUT_MS, DEFAULT_SQLITE_CACHE_MIB, MAX_SQLITE_BUSY_TIMEOUT_MS, MAX_SQLITE_CACHE_MIB, openSqliteDatabase, SqliteStore } from '../../src/stores/sqlite.js';
import { TesseraError } from '../../src/errors.js';
import { runStoreConformance } from './conformance.js';
import { makeKey, makeSession, makeUser, MINUTE, T0 } from './conformance-fixtures.js';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-sqlite-'));
  tempDirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

function assertIntact(db: Database): void {
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  assert.deepEqual(db.pragma('foreign_key_check'), []);
}

// A file store per test; after each test the file is reopened and checked for integrity.
runStoreConformance('SQLite (file)', async () => {
  const dir = await tempDir();
  const path = join(dir, 'db', 'tessera.db');
  const store = createSqliteStore(openSqliteDatabase(path));
  return {
    store,
    async cleanup() {
      await store.close();
      const check = openSqliteDatabase(path);
      try {
        assertIntact(check);
      } finally {
        check.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
});

runStoreConformance('SQLite (:memory:)', async () => {
  const db = openSqliteDatabase(':memory:');
  const store = createSqliteStore(db);
  return {
    store,
    async cleanup() {
      if (db.open) assertIntact(db);
      await store.close();
    },
  };
});

describe('SQLite store', () => {
  it('openSqliteDatabase creates the directory 0700 and the file 0600, with the pragmas set', async () => {
    const dir = join(await tempDir(), 'nested', 'data');
    const path = join(dir, 'tessera.db');
    const db = openSqliteDatabase(path);
    try {
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('synchronous', { simple: true }), 1); // NORMAL
      assert.equal(db.pragma('busy_timeout', { simple: true }), DEFAULT_SQLITE_BUSY_TIMEOUT_MS);
      assert.equal(DEFAULT_SQLITE_BUSY_TIMEOUT_MS, 250);
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(db.pragma('cache_size', { simple: true }), -DEFAULT_SQLITE_CACHE_MIB * 1024, 'the page cache in KiB');
      const store = createSqliteStore(db);
      await store.migrate();
      await store.getOrCreateSecret('cookie', 'secret');
      assert.equal((await stat(`${path}-wal`)).mode & 0o777, 0o600);
    } finally {
      db.close();
    }
  });

  it('openSqliteDatabase sizes the page cache as asked and refuses a size that is not a whole number of MiB in range', async () => {
    const db = openSqliteDatabase(':memory:', { cacheSizeMiB: 3 });
    try {
      assert.equal(db.pragma('cache_size', { simple: true }), -3 * 1024);
    } finally {
      db.close();
    }
    const path = join(await tempDir(), 'never.db');
    for (const cacheSizeMiB of [0, -1, 1.5, MAX_SQLITE_CACHE_MIB + 1, Number.NaN]) {
      assert.throws(() => openSqliteDatabase(path, { cacheSizeMiB }), (e: unknown) => e instanceof TesseraError && e.code === 'invalid_request' && /cacheSizeMiB/.test(e.message), String(cacheSizeMiB));
    }
    await assert.rejects(stat(path), { code: 'ENOENT' }, 'a refused option creates no file');
  });

  it('openSqliteDatabase sets the busy timeout as asked and refuses one out of range', async () => {
    const db = openSqliteDatabase(':memory:', { busyTimeoutMs: 1_000 });
    try {
      assert.equal(db.pragma('busy_timeout', { simple: true }), 1_000);
    } finally {
      db.close();
    }
    const path = join(await tempDir(), 'never.db');
    for (const busyTimeoutMs of [-1, 0.5, MAX_SQLITE_BUSY_TIMEOUT_MS + 1, Number.NaN]) {
      assert.throws(() => openSqliteDatabase(path, { busyTimeoutMs }), (e: unknown) => e instanceof TesseraError && e.code === 'invalid_request' && /busyTimeoutMs/.test(e.message), String(busyTimeoutMs));
    }
    await assert.rejects(stat(path), { code: 'ENOENT' }, 'a refused option creates no file');
  });

  it('a write that finds the database locked by another connection fails after the busy timeout, not 5 s later', async () => {
    const path = join(await tempDir(), 'tessera.db');
    const store = createSqliteStore(openSqliteDatabase(path));
    await store.migrate();
    const other = openSqliteDatabase(path);
    try {
      other.exec('BEGIN IMMEDIATE'); // holds the write lock, as another process's long write would
      const started = performance.now();
      await assert.rejects(store.getOrCreateSecret('cookie', 'a secret'), (e: unknown) => (e as { code?: string }).code === 'SQLITE_BUSY');
      const waited = performance.now() - started;
      assert.ok(waited >= DEFAULT_SQLITE_BUSY_TIMEOUT_MS * 0.8 && waited < 2_000, `waited ${Math.round(waited)} ms`);
      other.exec('ROLLBACK');
      assert.equal(await store.getOrCreateSecret('cookie', 'a secret'), 'a secret', 'the lock released, the write goes through');
      // A secret that exists is read, not written: a start (which asks for its secrets) goes
      // through while another connection holds the write lock.
      other.exec('BEGIN IMMEDIATE');
      assert.equal(await store.getOrCreateSecret('cookie', 'another candidate'), 'a secret', 'read under the lock, not SQLITE_BUSY');
      other.exec('ROLLBACK');
    } finally {
      other.close();
      await store.close();
    }
  });

  it('data survives closing and reopening the file', async () => {
    const path = join(await tempDir(), 'tessera.db');
    const first = createSqliteStore(openSqliteDatabase(path));
    await first.migrate();
    await first.createUser(makeUser(1));
    await first.createSession(makeSession('s1', 'user-1', { mode: 'jwt' }));
    await first.insertSigningKey(makeKey('k1'));
    await first.getOrCreateSecret('cookie', 'persisted');
    await first.endSessions({ userId: 'user-1', userNotBefore: true, reason: 'admin', at: T0, feedExpiresAt: T0 + MINUTE });
    await first.close();

    const second = createSqliteStore(openSqliteDatabase(path));
    try {
      await second.migrate();
      assert.deepEqual(await second.getSessionAndUser('s1'), { session: makeSession('s1', 'user-1', { mode: 'jwt' }), user: makeUser(1) });
      assert.deepEqual(await second.listSigningKeys(), [makeKey('k1')]);
      assert.equal(await second.getOrCreateSecret('cookie', 'other'), 'persisted');
      assert.deepEqual((await second.listRevocations(0, T0, 10)).map((e) => [e.kind, e.subject]), [['user', 'user-1']]);
    } finally {
      await second.close();
    }
  });

  it('step 4 upgrades a version-3 database: existing accounts keep their data and start unverified', async () => {
    const db = openSqliteDatabase(':memory:');
    try {
      for (const step of SQLITE_MIGRATIONS.slice(0, 3)) db.exec(step);
      db.pragma('user_version = 3');
      db.prepare(`INSERT INTO users (id, email, email_normalized, password_hash, created_at, disabled_at)
        VALUES ('user-1', 'User1@Example.com', 'user1@example.com', 'h', ${T0}, NULL)`).run();
      const store = createSqliteStore(db);
      await store.migrate();
      assert.equal(sqliteSchemaVersion(db), SQLITE_SCHEMA_VERSION);
      assert.deepEqual(await store.getUserById('user-1'), makeUser(1, { passwordHash: 'h' }));
    } finally {
      db.close();
    }
  });

  it('step 5 folds Greek final sigma in email keys, leaving a key whose folded form another account holds', async () => {
    const db = openSqliteDatabase(':memory:');
    try {
      for (const step of SQLITE_MIGRATIONS.slice(0, 4)) db.exec(step);
      db.pragma('user_version = 4');
      const insert = db.prepare(`INSERT INTO users (id, email, email_normalized, password_hash, created_at) VALUES (?, ?, ?, 'h', ${T0})`);
      insert.run('alone', 'ΣΟΦΟΣ@example.com', 'σοφος@example.com');
      insert.run('pair-final', 'αλφας@example.com', 'αλφας@example.com');
      insert.run('pair-plain', 'αλφασ@example.com', 'αλφασ@example.com');
      // One address typed two ways, both keys folding to one that neither holds.
      insert.run('two-a', 'ΚΩΣΤΑΣ.ΠΑΠΑΣ@example.gr', 'κωστασ.παπας@example.gr');
      insert.run('two-b', 'κωστας.παπας@example.gr', 'κωστας.παπας@example.gr');
      const store = createSqliteStore(db);
      await store.migrate();
      assert.equal(sqliteSchemaVersion(db), SQLITE_SCHEMA_VERSION);
      assert.equal((await store.getUserByEmail('σοφοσ@example.com'))?.id, 'alone');
      assert.equal((await store.getUserByEmail('αλφασ@example.com'))?.id, 'pair-plain');
      assert.equal((await store.getUserByEmail('αλφας@example.com'))?.id, 'pair-final', 'left as it was');
      assert.equal((await store.getUserByEmail('κωστασ.παπας@example.gr'))?.id, 'two-a', 'both left as they were');
      assert.equal((await store.getUserByEmail('κωστας.παπας@example.gr'))?.id, 'two-b');
    } finally {
      db.close();
    }
  });

  it('migrations are idempotent and recorded in user_version', async () => {
    const db = openSqliteDatabase(':memory:');
    try {
      assert.equal(sqliteSchemaVersion(db), 0);
      migrateSqlite(db);
      const schema = db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
      migrateSqlite(db);
      const store = createSqliteStore(db);
      await store.migrate();
      await store.migrate();
      assert.equal(sqliteSchemaVersion(db), SQLITE_SCHEMA_VERSION);
      assert.deepEqual(db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all(), schema);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      assert.deepEqual(tables, [
        'account_tokens', 'audit_log', 'leases', 'login_failures', 'mail_outbox', 'revocations', 'server_secrets', 'sessions', 'signing_keys',
        'sqlite_sequence', 'users',
      ]);
      // A store opened over an already migrated database works before its own migrate().
      const reopened = new SqliteStore(db);
      await reopened.createUser(makeUser(1));
      assert.deepEqual(await store.getUserById('user-1'), makeUser(1));
    } finally {
      db.close();
    }
  });

  it('refuses to work before migrate() and on a schema newer than it knows', async () => {
    const db = openSqliteDatabase(':memory:');
    try {
      const store = createSqliteStore(db);
      await assert.rejects(store.getUserById('user-1'), /migrate\(\)/);
      await assert.rejects(store.ping(), /migrate\(\)/);
      db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
      await assert.rejects(store.migrate(), /newer/);
    } finally {
      db.close();
    }
  });

  it('two connections to one file agree on secrets and on a refresh rotation', async () => {
    const path = join(await tempDir(), 'shared.db');
    const a = createSqliteStore(openSqliteDatabase(path));
    const b = createSqliteStore(openSqliteDatabase(path));
    try {
      await a.migrate();
      await b.migrate();
      assert.equal(await a.getOrCreateSecret('cookie', 'from-a'), 'from-a');
      assert.equal(await b.getOrCreateSecret('cookie', 'from-b'), 'from-a');
      await a.createUser(makeUser(1));
      await a.createSession(makeSession('f1', 'user-1', { mode: 'jwt', secretHash: 'h0' }));
      const rotation = { sessionId: 'f1', expectedSecretHash: 'h0', at: T0 + MINUTE, idleExpiresAt: T0 + 31 * MINUTE };
      const results = await Promise.all([
        a.rotateRefreshSecret({ ...rotation, newSecretHash: 'from-a' }),
        b.rotateRefreshSecret({ ...rotation, newSecretHash: 'from-b' }),
      ]);
      assert.deepEqual(results, [true, false]);
      assert.equal((await b.getSessionAndUser('f1'))!.session.secretHash, 'from-a');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

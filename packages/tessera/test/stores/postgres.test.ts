import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { isTesseraError } from '../../src/errors.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, postgresLockKey, quotePostgresSchema } from '../../src/stores/postgres-schema.js';
import { createPostgresStore } from '../../src/stores/postgres.js';
import type { PostgresStore } from '../../src/stores/postgres.js';
import type { NewRevocation, Store } from '../../src/stores/types.js';
import { runStoreConformance } from './conformance.js';
import { DAY, endRequest, makeKey, makeSession, makeUser, MINUTE, seedUser, T0 } from './conformance-fixtures.js';
import { describeError, redactUrl, requireService } from './service-availability.js';

const DATABASE_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A small pool (the suite's 50 concurrent rotations share 4 connections: the CAS is in the database). */
function newPool(config: PoolConfig = {}): Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4, connectionTimeoutMillis: 5000, ...config });
  pool.on('error', () => {}); // an idle client dropped by the server: the next query reports it
  return pool;
}

const skip = await requireService(
  'PostgreSQL',
  async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query('SELECT 1');
    } finally {
      await client.end();
    }
  },
  { at: redactUrl(DATABASE_URL) },
);

/** Creates and drops the test schemas; only opened when PostgreSQL is reachable. */
const admin = skip === undefined ? newPool({ max: 3 }) : undefined;
const schemas = new Set<string>();

/** A schema name no other test (or test file running at the same time) uses. */
function freshSchema(): string {
  const name = `tessera_test_${randomBytes(6).toString('hex')}`;
  schemas.add(name);
  return name;
}

async function dropSchema(name: string): Promise<void> {
  await admin!.query(`DROP SCHEMA IF EXISTS ${quotePostgresSchema(name)} CASCADE`);
  schemas.delete(name);
}

after(async () => {
  for (const name of [...schemas]) await dropSchema(name);
  await admin?.end();
});

/** A store on a pool of its own, closed (pool ended) after the test. */
function openStore(t: TestContext, schema: string, config?: PoolConfig): PostgresStore {
  const store = createPostgresStore(newPool(config), { schema });
  t.after(() => store.close());
  return store;
}

/** A client of the admin pool for a hand-made transaction; destroyed afterwards (releasing its locks). */
async function rawClient(t: TestContext): Promise<PoolClient> {
  const client = await admin!.connect();
  t.after(() => client.release(true));
  return client;
}

const jti = (subject: string): NewRevocation => ({ kind: 'jti', subject, at: T0, expiresAt: T0 + DAY });

async function versions(schema: string): Promise<number[]> {
  const { rows } = await admin!.query<{ version: number }>(
    `SELECT version FROM ${quotePostgresSchema(schema)}.schema_migrations ORDER BY version`,
  );
  return rows.map((r) => r.version);
}

describe('PostgreSQL store', { skip }, () => {
  // Each test of the suite gets a fresh schema in the test database, dropped afterwards.
  runStoreConformance('PostgreSQL', async () => {
    const schema = freshSchema();
    const store = createPostgresStore(newPool(), { schema });
    return {
      store,
      async cleanup() {
        await store.close();
        await dropSchema(schema);
      },
    };
  });

  describe('migrations', () => {
    /** The schema's tables, columns (with collation) and index definitions. */
    async function catalog(schema: string) {
      const tables = await admin!.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema],
      );
      const columns = await admin!.query(
        `SELECT table_name, column_name, data_type, is_nullable, collation_name, column_default
         FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`, [schema],
      );
      const indexes = await admin!.query(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname`, [schema],
      );
      return { tables: tables.rows.map((r) => r.table_name as string), columns: columns.rows, indexes: indexes.rows };
    }

    it('create every table in the schema, record each version once, and are idempotent', async (t) => {
      const schema = freshSchema();
      const store = openStore(t, schema);
      await store.migrate();
      const first = await catalog(schema);
      await store.migrate();
      await store.migrate();
      assert.deepEqual(await catalog(schema), first);
      assert.deepEqual(first.tables, [
        'account_tokens', 'audit_log', 'leases', 'login_failures', 'mail_outbox', 'revocations', 'schema_migrations', 'server_secrets', 'sessions', 'signing_keys', 'users',
      ]);
      assert.deepEqual(await versions(schema), Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1));
      const indexes = new Map(first.indexes.map((r) => [r.indexname as string, r.indexdef as string]));
      assert.match(indexes.get('users_email_normalized')!, /CREATE UNIQUE INDEX .* \(email_normalized\)/);
      assert.match(indexes.get('sessions_user_id')!, /\(user_id\)/);
      assert.match(indexes.get('revocations_expires_at')!, /\(expires_at\)/);
      assert.match(indexes.get('login_failures_key_at')!, /\(key, at\)/);
      assert.match(indexes.get('audit_log_user_id_seq')!, /\(user_id, seq\)/);
      // Times are BIGINT milliseconds; ids sort bytewise as in SQLite.
      const column = (table: string, name: string) =>
        first.columns.find((c) => c.table_name === table && c.column_name === name)!;
      assert.equal(column('sessions', 'idle_expires_at').data_type, 'bigint');
      assert.equal(column('sessions', 'id').collation_name, 'C');
      assert.equal(column('sessions', 'generation').data_type, 'integer');
    });

    it('several instances migrating one schema at once apply each step exactly once', async (t) => {
      const schema = freshSchema();
      const stores = Array.from({ length: 4 }, () => openStore(t, schema, { max: 1 }));
      await Promise.all(stores.map((store) => store.migrate()));
      assert.deepEqual(await versions(schema), Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1));
      await stores[0]!.createUser(makeUser(1));
      assert.deepEqual(await stores[3]!.getUserById('user-1'), makeUser(1));
    });

    it('step 5 folds Greek final sigma in email keys, leaving a key whose folded form another account holds', async (t) => {
      const schema = freshSchema();
      const q = quotePostgresSchema(schema);
      const client = await rawClient(t);
      await client.query(`CREATE SCHEMA ${q}`);
      await client.query(`CREATE TABLE ${q}.schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      for (let step = 0; step < 4; step++) {
        await client.query(POSTGRES_MIGRATIONS[step]!(q));
        await client.query(`INSERT INTO ${q}.schema_migrations (version) VALUES ($1)`, [step + 1]);
      }
      const rows = [['alone', 'σοφος@example.com'], ['pair-final', 'αλφας@example.com'], ['pair-plain', 'αλφασ@example.com'],
        // One address typed two ways, both keys folding to one that neither holds.
        ['two-a', 'κωστασ.παπας@example.gr'], ['two-b', 'κωστας.παπας@example.gr']];
      for (const [id, key] of rows) {
        await client.query(`INSERT INTO ${q}.users (id, email, email_normalized, password_hash, created_at) VALUES ($1, $2, $2, 'h', ${T0})`, [id, key]);
      }
      const store = openStore(t, schema);
      await store.migrate();
      assert.deepEqual(await versions(schema), Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1));
      assert.equal((await store.getUserByEmail('σοφοσ@example.com'))?.id, 'alone');
      assert.equal((await store.getUserByEmail('αλφασ@example.com'))?.id, 'pair-plain');
      assert.equal((await store.getUserByEmail('αλφας@example.com'))?.id, 'pair-final', 'left as it was');
      assert.equal((await store.getUserByEmail('κωστασ.παπας@example.gr'))?.id, 'two-a', 'both left as they were');
      assert.equal((await store.getUserByEmail('κωστας.παπας@example.gr'))?.id, 'two-b');
    });

    it('refuse a schema migrated by a newer version, changing nothing', async (t) => {
      const schema = freshSchema();
      const store = openStore(t, schema);
      await store.migrate();
      await admin!.query(`INSERT INTO ${quotePostgresSchema(schema)}.schema_migrations (version) VALUES ($1)`, [POSTGRES_SCHEMA_VERSION + 1]);
      await assert.rejects(store.migrate(), /newer than this version of Tessera supports/);
      assert.equal((await versions(schema)).length, POSTGRES_SCHEMA_VERSION + 1);
      await store.createUser(makeUser(1));
    });

    it('deleting a user cascades to its session records', async (t) => {
      const schema = freshSchema();
      const store = openStore(t, schema);
      await store.migrate();
      await seedUser(store, 1, [['s1'], ['s2']]);
      await admin!.query(`DELETE FROM ${quotePostgresSchema(schema)}.users WHERE id = 'user-1'`);
      assert.equal(await store.getSessionAndUser('s1'), null);
      assert.deepEqual(await store.listUserSessions('user-1', T0), []);
    });
  });

  describe('pools and schemas', () => {
    it('data survives closing the store and opening a new pool', async (t) => {
      const schema = freshSchema();
      const first = createPostgresStore(newPool(), { schema });
      await first.migrate();
      await first.createUser(makeUser(1));
      await first.createSession(makeSession('s1', 'user-1', { mode: 'jwt' }));
      await first.insertSigningKey(makeKey('k1'));
      await first.getOrCreateSecret('cookie', 'persisted');
      await first.endSessions({ userId: 'user-1', userNotBefore: true, reason: 'admin', at: T0, feedExpiresAt: T0 + MINUTE });
      await first.close();
      await assert.rejects(first.ping());

      const second = openStore(t, schema);
      await second.migrate();
      assert.deepEqual(await second.getSessionAndUser('s1'), { session: makeSession('s1', 'user-1', { mode: 'jwt' }), user: makeUser(1) });
      assert.deepEqual(await second.listSigningKeys(), [makeKey('k1')]);
      assert.equal(await second.getOrCreateSecret('cookie', 'other'), 'persisted');
      assert.deepEqual((await second.listRevocations(0, T0, 10)).map((e) => [e.kind, e.subject]), [['user', 'user-1']]);
    });

    it('two schemas on one pool (one connection) keep separate data and prepared statements', async (t) => {
      const pool = newPool({ max: 1 });
      t.after(() => pool.end());
      const a = createPostgresStore(pool, { schema: freshSchema() });
      const b = createPostgresStore(pool, { schema: freshSchema() });
      await a.migrate();
      await b.migrate();
      await a.createUser(makeUser(1));
      assert.equal(await b.getUserById('user-1'), null);
      await b.createUser(makeUser(1, { passwordHash: 'other' }));
      assert.equal((await a.getUserById('user-1'))!.passwordHash, makeUser(1).passwordHash);
      assert.equal((await b.getUserById('user-1'))!.passwordHash, 'other');
      await a.appendRevocations([jti('only-in-a')]);
      assert.deepEqual(await b.listRevocations(0, T0, 10), []);
    });

    it('the hot paths are one named statement each (no transaction)', async (t) => {
      const pool = newPool();
      const store = createPostgresStore(pool, { schema: freshSchema() });
      t.after(() => store.close());
      await store.migrate();
      await seedUser(store, 1, [['s1', { mode: 'jwt', secretHash: 'h0' }]]);
      await store.getOrCreateSecret('cookie', 'v');
      const calls: unknown[] = [];
      const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
      (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
        calls.push(args[0]);
        return query(...args);
      };
      const hot: Array<[string, () => Promise<unknown>]> = [
        ['getSessionAndUser', () => store.getSessionAndUser('s1')],
        ['getUserByEmail', () => store.getUserByEmail('user1@example.com')],
        ['touchSession', () => store.touchSession('s1', T0 + MINUTE, T0 + 31 * MINUTE)],
        ['rotateRefreshSecret', () => store.rotateRefreshSecret({ sessionId: 's1', expectedSecretHash: 'h0', newSecretHash: 'h1', at: T0 + MINUTE, idleExpiresAt: T0 + 31 * MINUTE })],
        ['listUserSessions', () => store.listUserSessions('user-1', T0)],
        ['listRevocations', () => store.listRevocations(0, T0, 100)],
        ['countLoginFailures', () => store.countLoginFailures('ip:1', T0)],
        ['getOrCreateSecret (existing)', () => store.getOrCreateSecret('cookie', 'w')],
        ['purgeExpired', () => store.purgeExpired(T0)],
        ['listAudit', () => store.listAudit({ userId: 'user-1', limit: 50 })],
        ['appendAudit', () => store.appendAudit({ at: T0, type: 'sign_in', userId: 'user-1', sessionId: 's1', ip: null, detail: null })],
        ['countActiveSessions', () => store.countActiveSessions(T0)],
      ];
      for (const [name, call] of hot) {
        calls.length = 0;
        await call();
        assert.equal(calls.length, 1, `${name}: ${calls.length} queries`);
        assert.match((calls[0] as { name?: string }).name ?? '', /^tessera_[a-z_]+_[0-9a-f]{16}$/, `${name} is a named statement`);
      }
      // The exception: additions to one key must count each other (conformance, "concurrent
      // additions"), so addLoginFailure is a transaction on one client that holds the key's lock.
      calls.length = 0;
      assert.deepEqual(await store.addLoginFailure('ip:1', T0, T0, T0 + DAY), { count: 1, oldestAt: T0 });
      assert.equal(calls.length, 0, 'not through pool.query');
    });
  });

  describe('concurrency between instances (two pools, one schema)', () => {
    async function twoInstances(t: TestContext): Promise<[PostgresStore, PostgresStore, string]> {
      const schema = freshSchema();
      const a = openStore(t, schema);
      const b = openStore(t, schema);
      await Promise.all([a.migrate(), b.migrate()]);
      return [a, b, schema];
    }

    it('50 concurrent rotations of one refresh token, split over two instances: exactly one wins', async (t) => {
      const [a, b] = await twoInstances(t);
      await seedUser(a, 1, [['f1', { mode: 'jwt', secretHash: 'h0' }]]);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? a : b).rotateRefreshSecret({
          sessionId: 'f1', expectedSecretHash: 'h0', newSecretHash: `next-${i}`, at: T0 + MINUTE, idleExpiresAt: T0 + 31 * MINUTE,
        })));
      assert.equal(results.filter(Boolean).length, 1);
      const session = (await b.getSessionAndUser('f1'))!.session;
      assert.deepEqual([session.secretHash, session.previousSecretHash, session.generation], [`next-${results.indexOf(true)}`, 'h0', 1]);
    });

    it('concurrent first getOrCreateSecret calls from two instances agree on one value', async (t) => {
      const [a, b] = await twoInstances(t);
      const values = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).getOrCreateSecret('csrf', `c${i}`)));
      assert.equal(new Set(values).size, 1);
      assert.equal(await a.getOrCreateSecret('csrf', 'late'), values[0]);
    });

    it('concurrent signups with one email: exactly one succeeds, the others get email_taken', async (t) => {
      const [a, b] = await twoInstances(t);
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).createUser(makeUser(i, { emailNormalized: 'same@example.com' }))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.ok(isTesseraError(r.reason, 'email_taken'), String(r.reason));
      }
    });
  });

  describe('revocation feed: seq order is commit order', () => {
    /** Begins a transaction on `client` holding the schema's feed lock, as the store's appends do. */
    async function holdFeedLock(client: PoolClient, schema: string): Promise<void> {
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${postgresLockKey('feed', schema)})`);
    }

    /** Follows the feed as a consumer does (`seq > cursor`), collecting subjects. */
    function follower(store: Store) {
      let cursor = 0;
      const seen: string[] = [];
      return {
        seen,
        async poll(): Promise<number> {
          const batch = await store.listRevocations(cursor, T0, 1000);
          for (const entry of batch) {
            seen.push(entry.subject);
            cursor = entry.seq;
          }
          return batch.length;
        },
      };
    }

    it('appendRevocations and endSessions wait for the feed lock', async (t) => {
      const schema = freshSchema();
      const store = openStore(t, schema);
      await store.migrate();
      await seedUser(store, 1, [['s1']]);
      const holder = await rawClient(t);
      await holdFeedLock(holder, schema);

      let settled = 0;
      const appended = store.appendRevocations([jti('j1')]).finally(() => settled++);
      const ended = store.endSessions(endRequest('user-1', { sessionIds: ['s1'] })).finally(() => settled++);
      await sleep(300);
      assert.equal(settled, 0, 'both wait while another transaction holds the feed lock');
      // Both wait on exactly that advisory lock (a bigint key shows as classid = high, objid = low 32 bits).
      const key = BigInt.asUintN(64, BigInt(postgresLockKey('feed', schema)));
      const { rows } = await admin!.query<{ waiting: number }>(
        `SELECT count(*)::integer AS waiting FROM pg_locks
         WHERE locktype = 'advisory' AND NOT granted AND classid = $1 AND objid = $2 AND objsubid = 1`,
        [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
      );
      assert.equal(rows[0]!.waiting, 2);

      await holder.query('COMMIT');
      assert.deepEqual((await appended).map((e) => e.subject), ['j1']);
      assert.deepEqual(await ended, ['s1']);
    });

    it('a reader polling seq > cursor never skips an entry committed late', async (t) => {
      const schema = freshSchema();
      const store = openStore(t, schema);
      await store.migrate();
      // Another instance is mid-append: it holds the lock and seq n, not yet committed.
      const writer = await rawClient(t);
      await holdFeedLock(writer, schema);
      const { rows } = await writer.query<{ seq: string }>(
        `INSERT INTO ${quotePostgresSchema(schema)}.revocations (kind, subject, at, expires_at)
         VALUES ('jti', 'first', $1, $2) RETURNING seq`, [T0, T0 + DAY],
      );
      const firstSeq = Number(rows[0]!.seq);

      const second = store.appendRevocations([jti('second')]);
      const reader = follower(store);
      for (let i = 0; i < 5; i++) {
        await reader.poll();
        await sleep(50);
      }
      assert.deepEqual(reader.seen, [], 'nothing is visible while the earlier append is uncommitted');

      await writer.query('COMMIT');
      const [entry] = await second;
      assert.ok(entry!.seq > firstSeq, `${entry!.seq} > ${firstSeq}`);
      await reader.poll();
      assert.deepEqual(reader.seen, ['first', 'second']);
    });

    it('control: without the lock, a sequence lets such a reader skip an entry forever', async (t) => {
      // Why the lock exists: the same interleaving with bare INSERTs loses an entry.
      const schema = freshSchema();
      const store = openStore(t, schema);
      await store.migrate();
      const table = `${quotePostgresSchema(schema)}.revocations`;
      const insert = `INSERT INTO ${table} (kind, subject, at, expires_at) VALUES ('jti', $1, $2, $3)`;
      const slow = await rawClient(t);
      await slow.query('BEGIN');
      await slow.query(insert, ['first', T0, T0 + DAY]);
      await admin!.query(insert, ['second', T0, T0 + DAY]);
      const reader = follower(store);
      await reader.poll();
      await slow.query('COMMIT');
      await reader.poll();
      assert.deepEqual(reader.seen, ['second']);
      assert.deepEqual((await store.listRevocations(0, T0, 10)).map((e) => e.subject), ['first', 'second']);
    });

    it('under concurrent appends from two instances, a polling reader sees every entry once, in seq order', async (t) => {
      const schema = freshSchema();
      const a = openStore(t, schema);
      const b = openStore(t, schema);
      await a.migrate();
      await seedUser(a, 1, Array.from({ length: 20 }, (_, i): [string] => [`s${i}`]));
      const reader = follower(a);
      let done = false;
      const reading = (async () => {
        for (;;) {
          const finished = done;
          const count = await reader.poll();
          if (finished && count === 0) return;
        }
      })();
      await Promise.all([
        ...Array.from({ length: 150 }, (_, i) => (i % 2 ? a : b).appendRevocations([jti(`j${i}a`), jti(`j${i}b`)])),
        ...Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).endSessions(endRequest('user-1', { sessionIds: [`s${i}`], feedExpiresAt: T0 + DAY }))),
      ]);
      done = true;
      await reading;
      const feed = await a.listRevocations(0, T0, 10_000);
      assert.equal(feed.length, 320);
      assert.deepEqual(reader.seen, feed.map((e) => e.subject));
    });
  });
});

describe('PostgreSQL store without a database', () => {
  it('validates the schema name before quoting it', () => {
    const pool = {} as Pool; // never touched by the constructor
    assert.equal(createPostgresStore(pool).schema, 'tessera');
    for (const schema of ['_x', 'tenant_42', 'a'.repeat(63), 'public']) assert.equal(createPostgresStore(pool, { schema }).schema, schema);
    for (const schema of ['', 'Tessera', 'a-b', '1abc', 'a'.repeat(64), 'x"; DROP SCHEMA public; --', 'pg_temp', 'ünï']) {
      assert.throws(() => createPostgresStore(pool, { schema }), TypeError, schema);
    }
  });

  it('lock keys are fixed per schema and purpose, distinct otherwise, and signed 64-bit', () => {
    const keys = ['migrate', 'feed'].flatMap((purpose) =>
      ['tessera', 'tessera_2'].map((schema) => postgresLockKey(purpose as 'migrate' | 'feed', schema)));
    assert.equal(new Set(keys).size, 4);
    assert.equal(postgresLockKey('feed', 'tessera'), postgresLockKey('feed', 'tessera'));
    for (const key of keys) assert.equal(BigInt.asIntN(64, BigInt(key)).toString(), key);
  });

  /** Every method of the store, called once. */
  function everyMethod(store: Store): Array<[string, () => Promise<unknown>]> {
    return [
      ['migrate', () => store.migrate()],
      ['ping', () => store.ping()],
      ['createUser', () => store.createUser(makeUser(1))],
      ['getUserById', () => store.getUserById('user-1')],
      ['getUserByEmail', () => store.getUserByEmail('user1@example.com')],
      ['updatePasswordHash', () => store.updatePasswordHash('user-1', 'x')],
      ['createSession', () => store.createSession(makeSession('s1', 'user-1'))],
      ['getSessionAndUser', () => store.getSessionAndUser('s1')],
      ['touchSession', () => store.touchSession('s1', T0, T0 + MINUTE)],
      ['listUserSessions', () => store.listUserSessions('user-1', T0)],
      ['endSessions', () => store.endSessions(endRequest('user-1', { all: true }))],
      ['rotateRefreshSecret', () => store.rotateRefreshSecret({ sessionId: 's1', expectedSecretHash: 'a', newSecretHash: 'b', at: T0, idleExpiresAt: T0 })],
      ['appendRevocations', () => store.appendRevocations([jti('j')])],
      ['listRevocations', () => store.listRevocations(0, T0, 10)],
      ['addLoginFailure', () => store.addLoginFailure('ip:1', T0, T0, T0 + DAY)],
      ['countLoginFailures', () => store.countLoginFailures('ip:1', T0)],
      ['clearLoginFailures', () => store.clearLoginFailures('ip:1')],
      ['listSigningKeys', () => store.listSigningKeys()],
      ['insertSigningKey', () => store.insertSigningKey(makeKey('k1'))],
      ['updateSigningKey', () => store.updateSigningKey('k1', { retiresAt: T0, expiresAt: T0 })],
      ['getOrCreateSecret', () => store.getOrCreateSecret('cookie', 'x')],
      ['purgeExpired', () => store.purgeExpired(T0)],
      ['listUsers', () => store.listUsers({ limit: 10 })],
      ['setUserDisabled', () => store.setUserDisabled('user-1', T0)],
      ['deleteUser', () => store.deleteUser('user-1')],
      ['countActiveSessions', () => store.countActiveSessions(T0)],
      ['appendAudit', () => store.appendAudit({ at: T0, type: 'sign_in', userId: 'user-1', sessionId: null, ip: null, detail: null })],
      ['listAudit', () => store.listAudit({ limit: 10 })],
    ];
  }

  const rejectsAsStoreFailure = (error: unknown): boolean => error instanceof Error && !isTesseraError(error);

  it('an unreachable database (connection refused): every method rejects, none hangs', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'test', max: 2, connectionTimeoutMillis: 2000 });
    pool.on('error', () => {});
    const store = createPostgresStore(pool);
    const started = Date.now();
    try {
      for (const [name, call] of everyMethod(store)) await assert.rejects(call(), rejectsAsStoreFailure, name);
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    } finally {
      await store.close();
    }
  });

  it('a database that accepts connections but never answers: calls reject after connectionTimeoutMillis', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'test', max: 4, connectionTimeoutMillis: 500 });
    pool.on('error', () => {});
    const store = createPostgresStore(pool);
    const started = Date.now();
    try {
      const calls = everyMethod(store).filter(([name]) => ['ping', 'getSessionAndUser', 'endSessions', 'appendRevocations'].includes(name));
      const results = await Promise.allSettled(calls.map(([, call]) => call()));
      for (const [i, result] of results.entries()) {
        assert.ok(result.status === 'rejected' && rejectsAsStoreFailure(result.reason), `${calls[i]![0]}: ${result.status}`);
      }
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 400 && elapsed < 5000, `took ${elapsed} ms`);
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('requireService (shared by the tests of external stores)', () => {
  it('returns undefined when the probe succeeds', async () => {
    assert.equal(await requireService('Thing', async () => {}, { required: false }), undefined);
    assert.equal(await requireService('Thing', async () => {}, { required: true }), undefined);
  });

  it('returns a visible skip reason when the probe fails, or throws when the service is required', async () => {
    const probe = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    };
    assert.equal(
      await requireService('PostgreSQL', probe, { at: 'postgres://u:***@127.0.0.1:5432/test', required: false }),
      'PostgreSQL not reachable at postgres://u:***@127.0.0.1:5432/test: connect ECONNREFUSED 127.0.0.1:5432',
    );
    await assert.rejects(requireService('PostgreSQL', probe, { required: true }), /PostgreSQL not reachable: connect ECONNREFUSED.*CI=true/);
  });

  it('required defaults to CI=true, and a probe that hangs times out', async () => {
    const saved = process.env.CI;
    try {
      process.env.CI = 'true';
      await assert.rejects(requireService('Redis', () => new Promise(() => {}), { timeoutMs: 50 }), /Redis not reachable: no answer within 50 ms/);
      process.env.CI = 'false';
      assert.equal(await requireService('Redis', () => new Promise(() => {}), { timeoutMs: 50 }), 'Redis not reachable: no answer within 50 ms');
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });

  it('describes AggregateErrors and redacts passwords', () => {
    const aggregate = new AggregateError([new Error('connect ECONNREFUSED ::1:6379'), new Error('connect ECONNREFUSED 127.0.0.1:6379')]);
    assert.equal(describeError(aggregate), 'connect ECONNREFUSED ::1:6379; connect ECONNREFUSED 127.0.0.1:6379');
    assert.equal(redactUrl('postgres://user:secret@db:5432/x'), 'postgres://user:***@db:5432/x');
    assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
    assert.equal(redactUrl('not a url'), '<unparsable URL>');
  });
});

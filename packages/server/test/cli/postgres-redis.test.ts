import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from '../robustness/spawn-server.js';
import { json, makeDataDir, PASSWORD, runCli } from './run-cli.js';

// The CLI against PostgreSQL (users, keys, feed, audit) plus Redis (sessions), selected by the
// same variables as the server, in a schema and a key prefix of this test's own. Skipped,
// with the reason, where the services are not running (required under CI=true).

const DATABASE_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const schema = `tessera_cli_${randomBytes(5).toString('hex')}`;
const prefix = `tessera-cli-${randomBytes(5).toString('hex')}:`;

async function probe(): Promise<string | undefined> {
  try {
    const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    await client.end();
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
    redis.on('error', () => {});
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
    return undefined;
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    return `PostgreSQL or Redis not reachable: ${error instanceof Error ? error.message : String(error)}`;
  }
}

const skip = await probe();
const data = makeDataDir();
const env = { TESSERA_DATABASE_URL: DATABASE_URL, TESSERA_DATABASE_SCHEMA: schema, TESSERA_REDIS_URL: REDIS_URL, TESSERA_REDIS_PREFIX: prefix };

after(async () => {
  data.remove();
  if (skip !== undefined) return;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
});

describe('tessera CLI on PostgreSQL + Redis', { skip }, () => {
  it('migrates the schema, then administers users, sessions and keys there', async () => {
    const migrated = json(await runCli(data.dir, ['migrate', '--json'], { env }));
    assert.equal(migrated.database, 'postgres');
    assert.equal(migrated.previousVersion, 0);
    assert.ok(migrated.schemaVersion >= 1);
    assert.match(migrated.store, /^Redis \+ PostgreSQL/);

    const created = await runCli(data.dir, ['user', 'create', '--email', 'pat@example.com', '--password-stdin', '--json'], { env, input: `${PASSWORD}\n` });
    assert.equal(created.code, 0, created.stderr);
    const userId = json(created).user.id as string;
    const list = json(await runCli(data.dir, ['user', 'list', '--json'], { env }));
    assert.deepEqual(list.users.map((u: { id: string }) => u.id), [userId]);

    const sessions = json(await runCli(data.dir, ['sessions', 'list', userId, '--json'], { env }));
    assert.deepEqual(sessions.sessions, []);
    assert.equal((await runCli(data.dir, ['sessions', 'revoke', '--all', '--user', userId], { env })).code, 0);

    const rotated = json(await runCli(data.dir, ['keys', 'rotate', '--json'], { env }));
    const keys = json(await runCli(data.dir, ['keys', 'list', '--json'], { env })).keys as Array<{ kid: string; status: string }>;
    assert.deepEqual(keys.map((k) => k.status).sort(), ['current', 'next']);
    assert.ok(keys.some((k) => k.kid === rotated.newKey.kid));

    const audit = json(await runCli(data.dir, ['audit', '--json'], { env }));
    const types = audit.entries.map((e: { type: string }) => e.type) as string[];
    assert.equal(types[0], 'key_rotated');
    const [ended, signUp] = [types.indexOf('sessions_ended_all'), types.indexOf('sign_up')];
    assert.ok(ended > 0 && signUp > ended, types.join(', '));
    // Nothing landed in the SQLite directory.
    assert.equal(json(await runCli(data.dir, ['user', 'list', '--json'])).users.length, 0);
  });

  it('serve with PostgreSQL up and Redis unreachable exits 1 once Redis gives up, its PostgreSQL connections closed', async () => {
    const started = Date.now();
    const closedPort = await freePort();
    const r = await runCli(data.dir, ['serve', '--port', '1'], { env: { ...env, TESSERA_REDIS_URL: `redis://127.0.0.1:${closedPort}` }, timeoutMs: 25_000 });
    assert.equal(r.code, 1, `exit ${r.code} after ${Date.now() - started} ms: ${r.stderr}`);
    assert.match(r.stderr, /cannot start the server \(PostgreSQL \+ Redis\): Redis did not become ready/);
    // 10 s of waiting for Redis; an open pool would have held the process 30 s longer.
    assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
  });
});

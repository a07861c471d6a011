// PostgreSQL connections lost at the worst moment, on the shared test database without
// touching it: this file's own backends are terminated (found by their application_name), and
// a stall is made by a loopback TCP proxy of the test's own between the pool and PostgreSQL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { isTesseraError } from '../../src/errors.js';
import { createPostgresClusterBus } from '../../src/stores/postgres-bus.js';
import { postgresLockKey, quotePostgresSchema } from '../../src/stores/postgres-schema.js';
import { createPostgresStore } from '../../src/stores/postgres.js';
import { guardStore } from '../../src/auth/guarded-store.js';
import { makeSession, makeUser, T0 } from './conformance-fixtures.js';
import { redactUrl, requireService } from './service-availability.js';

const DATABASE_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const skip = await requireService('PostgreSQL', async () => {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  await client.end();
}, { at: redactUrl(DATABASE_URL) });

const admin = skip === undefined ? new pg.Pool({ connectionString: DATABASE_URL, max: 2 }) : undefined;
const schemas: string[] = [];
const fresh = (): string => {
  const name = `tessera_faults_${randomBytes(6).toString('hex')}`;
  schemas.push(name);
  return name;
};
after(async () => {
  for (const name of schemas) await admin!.query(`DROP SCHEMA IF EXISTS ${quotePostgresSchema(name)} CASCADE`);
  await admin?.end();
});

/** Terminates this test's backend that waits on a lock (found by its application_name). */
async function terminateWaiting(applicationName: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const { rows } = await admin!.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [applicationName]);
    if (rows[0]) {
      await admin!.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      return;
    }
    await sleep(5);
  }
  throw new Error('the store never waited on the lock');
}

describe('PostgreSQL: a connection lost inside a transaction', { skip }, () => {
  it('fails that call as unavailable (503) and the process lives on: sign-out, feed append, failed sign-in', async () => {
    // A checked-out client has no listener of the pool's: a lost connection emitted an 'error'
    // nobody heard, and Node ended the process (the server died in the middle of a sign-out).
    const schema = fresh();
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2, application_name: schema });
    pool.on('error', () => {});
    const store = createPostgresStore(pool, { schema });
    const guarded = guardStore(store);
    const holder = await admin!.connect();
    try {
      await store.migrate();
      await store.createUser(makeUser(1));
      await store.createSession(makeSession('s1', 'user-1'));
      const calls: Array<[string, string, () => Promise<unknown>]> = [
        ['endSessions', `${postgresLockKey('feed', schema)}`, () => guarded.endSessions({ userId: 'user-1', sessionIds: ['s1'], reason: 'logout', at: T0, feedExpiresAt: T0 + 60_000 })],
        ['appendRevocations', `${postgresLockKey('feed', schema)}`, () => guarded.appendRevocations([{ kind: 'jti', subject: 'j', at: T0, expiresAt: T0 + 60_000 }])],
        ['addLoginFailure', `hashtextextended('tessera/${schema}/failures/k', 0)`, () => guarded.addLoginFailure('k', T0, T0 - 60_000, T0 + 60_000)],
      ];
      for (const [name, lock, call] of calls) {
        // Another session holds the lock the transaction takes first: the call waits inside it.
        await holder.query(`SELECT pg_advisory_lock(${lock})`);
        const outcome = call().then(() => 'resolved', (error: unknown) => error);
        await terminateWaiting(schema);
        const error = await outcome;
        assert.ok(isTesseraError(error, 'unavailable'), `${name}: ${String(error)}`);
        await holder.query('SELECT pg_advisory_unlock_all()');
      }
      // Nothing half done, and the store works again.
      assert.deepEqual(await store.endSessions({ userId: 'user-1', sessionIds: ['s1'], reason: 'logout', at: T0, feedExpiresAt: T0 + 60_000 }), ['s1']);
      assert.equal((await store.listRevocations(0, T0, 10)).filter((e) => e.subject === 'j').length, 0);
      assert.deepEqual(await store.addLoginFailure('k', T0, T0 - 60_000, T0 + 60_000), { count: 1, oldestAt: T0 });
    } finally {
      holder.release();
      await store.close();
    }
  });
});

/** A TCP proxy to PostgreSQL whose traffic can be held (a database that stalls). */
async function stallingProxy(): Promise<{ url: string; stall(): void; resume(): void; close(): void }> {
  const target = new URL(DATABASE_URL);
  let stalled = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => { client.destroy(); upstream.destroy(); });
    }
    const pipe = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (!stalled) to.write(chunk);
        else {
          from.pause();
          held.push(() => { to.write(chunk); from.resume(); });
        }
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    stall: () => { stalled = true; },
    resume: () => {
      stalled = false;
      for (const release of held.splice(0)) release();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('PostgreSQL bus: a LISTEN that times out', { skip }, () => {
  it('gives its connection back: the pool is not drained by re-listening while PostgreSQL stalls', async () => {
    const schema = fresh();
    const proxy = await stallingProxy();
    // As the server configures its pool: a 250 ms query timeout, which a stalled LISTEN meets.
    const pool = new pg.Pool({ connectionString: proxy.url, max: 6, connectionTimeoutMillis: 250, query_timeout: 250, application_name: schema });
    pool.on('error', () => {});
    const bus = createPostgresClusterBus(pool, { channel: `${schema}_cluster`, reconnectDelayMs: 100 });
    const unsubscribe = await bus.subscribe(() => {});
    try {
      for (let round = 0; round < 3; round++) {
        // Idle clients in the pool, as under load; then the bus's connection drops while
        // PostgreSQL stalls, and every re-LISTEN meets the query timeout.
        await Promise.all(Array.from({ length: 5 }, () => pool.query('SELECT pg_sleep(0.02)')));
        const { rows } = await admin!.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'LISTEN%' AND state = 'idle'`, [schema]);
        for (const r of rows) await admin!.query('SELECT pg_terminate_backend($1)', [r.pid]);
        await sleep(30);
        proxy.stall();
        await sleep(900);
        proxy.resume();
        await sleep(600);
      }
      // Only the bus holds a client; the rest serve queries.
      assert.ok(pool.totalCount - pool.idleCount <= 1, `checked out with nothing in flight: ${pool.totalCount - pool.idleCount}`);
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => pool.query('SELECT 1')));
      assert.deepEqual(results.filter((r) => r.status === 'rejected').length, 0);
    } finally {
      await unsubscribe();
      proxy.resume();
      // pool.end() waits for every client given back: a leaked one would hold it forever.
      await Promise.race([pool.end().catch(() => {}), sleep(2000)]);
      proxy.close();
    }
  });
});

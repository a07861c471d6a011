import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Clock } from '../../src/clock.js';
import { formatCredential, generateId, generateSecret, parseCredential } from '../../src/crypto/tokens.js';
import { systemRandom } from '../../src/clock.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import type { MemoryStore } from '../../src/stores/memory.js';
import { createRedisClient, createRedisStore, redisClientOptions, RedisStore, userTag } from '../../src/stores/redis.js';
import { USER_SNAPSHOT_FIELDS } from '../../src/stores/redis-scripts.js';
import { createSqliteStore, openSqliteDatabase } from '../../src/stores/sqlite.js';
import type { NewRevocation, RevocationEntry, Store } from '../../src/stores/types.js';
import { runStoreConformance } from './conformance.js';
import { DAY, endRequest, makeSession, makeUser, MINUTE, seedUser, T0 } from './conformance-fixtures.js';
import { deleteKeysWithPrefix, keysWithPrefix } from './redis-cluster-helper.js';
import { redactUrl, requireService } from './service-availability.js';

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const skip = await requireService(
  'Redis',
  async () => {
    const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    let connectionError: unknown;
    probe.on('error', (error: unknown) => {
      connectionError ??= error; // e.g. ECONNREFUSED, more telling than "Connection is closed."
    });
    try {
      await probe.connect();
      await probe.ping();
    } catch (error) {
      throw connectionError ?? error;
    } finally {
      probe.disconnect();
    }
  },
  { at: redactUrl(REDIS_URL) },
);

/** One client for the file (the store never closes it); opened only when Redis is reachable. */
let shared: Redis | undefined;
async function client(): Promise<Redis> {
  if (!shared) {
    shared = createRedisClient(REDIS_URL);
    await once(shared, 'ready');
  }
  return shared;
}

/** Prefixes this file created: each test's keys are deleted after it, these once more at the end. */
const prefixes = new Set<string>();
function freshPrefix(): string {
  const prefix = `tessera-test:${randomBytes(6).toString('hex')}:`;
  prefixes.add(prefix);
  return prefix;
}

after(async () => {
  if (shared) {
    for (const prefix of prefixes) await deleteKeysWithPrefix(shared, prefix);
    await shared.quit();
  }
});

/** The conformance suite speaks in T0-relative times: TTLs are computed against a clock at T0. */
const atT0: Clock = { nowMs: () => T0 };

function conformanceHarness(makeDatabase: () => Store) {
  return async () => {
    const redis = await client();
    const prefix = freshPrefix();
    const database = makeDatabase();
    const store = createRedisStore({ client: redis, database, keyPrefix: prefix, clock: atT0 });
    return {
      store,
      async cleanup() {
        await store.close();
        await database.close();
        await deleteKeysWithPrefix(redis, prefix);
        prefixes.delete(prefix);
      },
    };
  };
}

/** A memory database whose appendRevocations can be made to fail (the database is down). */
class FlakyDatabase {
  readonly store: MemoryStore = createMemoryStore();
  failAppends = false;
  constructor() {
    const append = this.store.appendRevocations.bind(this.store);
    this.store.appendRevocations = async (entries: readonly NewRevocation[]): Promise<RevocationEntry[]> => {
      if (this.failAppends) throw new Error('database unavailable');
      return append(entries);
    };
  }
}

describe('Redis store', { skip }, () => {
  runStoreConformance('Redis (+ memory database)', conformanceHarness(() => createMemoryStore()));
  runStoreConformance('Redis (+ SQLite database)', conformanceHarness(() => createSqliteStore(openSqliteDatabase(':memory:'))));

  describe('specifics', () => {
    const cleanups: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    async function setup(options: { clock?: Clock; database?: Store; expiredRetentionMs?: number; userSnapshotMaxAgeMs?: number } = {}) {
      const redis = await client();
      const prefix = freshPrefix();
      const database = options.database ?? createMemoryStore();
      const store = createRedisStore({ client: redis, database, keyPrefix: prefix, clock: options.clock ?? atT0, expiredRetentionMs: options.expiredRetentionMs, userSnapshotMaxAgeMs: options.userSnapshotMaxAgeMs });
      await store.migrate();
      cleanups.push(() => deleteKeysWithPrefix(redis, prefix));
      return { redis, prefix, database, store };
    }

    it('sessionIdFor keeps a canonical 22-character id with the user tag in front', async () => {
      const { store } = await setup();
      for (let i = 0; i < 200; i++) {
        const randomId = generateId(systemRandom);
        const userId = `user-${i}`;
        const id = await store.sessionIdFor(userId, randomId);
        assert.equal(id.length, 22);
        assert.equal(id.slice(0, 4), userTag(userId));
        assert.equal(id.slice(4), randomId.slice(4), '18 random characters (104 bits) kept, the last one included');
        assert.ok(parseCredential(formatCredential(id, generateSecret(systemRandom))), `canonical: ${id}`);
      }
      assert.equal(userTag('user-1'), userTag('user-1'));
      await assert.rejects(store.sessionIdFor('user-1', 'short'), TypeError);
    });

    it('key layout: record and index share the user tag; a foreign id gets a pointer in its own slot', async () => {
      const { redis, prefix, store } = await setup();
      await seedUser(store, 1);
      const tag = userTag('user-1');
      const minted = await store.sessionIdFor('user-1', generateId(systemRandom));
      await store.createSession(makeSession(minted, 'user-1'));
      assert.deepEqual((await keysWithPrefix(redis, prefix)).sort(), [`${prefix}{${tag}}:s:${minted}`, `${prefix}{${tag}}:u:user-1`].sort());

      await store.createSession(makeSession('foreign-id', 'user-1'));
      const pointer = `${prefix}{fore}:p:foreign-id`;
      assert.equal(await redis.get(pointer), tag);
      assert.equal(await redis.hget(`${prefix}{${tag}}:s:foreign-id`, 'userId'), 'user-1');
      assert.deepEqual(await redis.zrange(`${prefix}{${tag}}:u:user-1`, 0, -1), [minted, 'foreign-id'].sort());
      assert.equal((await store.getSessionAndUser('foreign-id'))?.session.id, 'foreign-id');

      // Ids that are not base64url up front get a slot derived from the whole id (never `{}`).
      await store.createSession(makeSession('}{x', 'user-1'));
      assert.equal((await store.getSessionAndUser('}{x'))?.session.id, '}{x');
      const pointers = (await keysWithPrefix(redis, prefix)).filter((k) => k.includes(':p:'));
      assert.equal(pointers.length, 2);
      assert.ok(pointers.every((k) => /^[^{]*\{[A-Za-z0-9_-]{4}\}:p:/.test(k)), pointers.join(', '));
      await assert.rejects(store.createSession(makeSession('}{x', 'user-1')));
    });

    it('a cookie check sends plain commands, no script: one HMGET for a minted id; GET of the pointer, then HMGET, for a foreign one', async () => {
      const { redis, prefix, store } = await setup();
      await seedUser(store, 1);
      const minted = await store.sessionIdFor('user-1', generateId(systemRandom));
      await store.createSession(makeSession(minted, 'user-1'));
      await store.createSession(makeSession('foreign-id', 'user-1'));
      // What Redis executes on our keys, in order, as MONITOR reports it; a GET of a marker key
      // closes each check (MONITOR lists commands in the order Redis runs them).
      const monitor = await redis.monitor();
      const commands: string[] = [];
      let marked: () => void = () => {};
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (!args.some((a) => a.startsWith(prefix))) return;
        if (args[1] === `${prefix}marker`) marked();
        else commands.push(`${args[0]!.toLowerCase()} ${args[1]!.slice(prefix.length)}`);
      });
      const commandsOf = async (check: () => Promise<unknown>): Promise<string[]> => {
        commands.length = 0;
        await check();
        const done = new Promise<void>((resolve) => (marked = resolve));
        await redis.get(`${prefix}marker`);
        await done;
        return [...commands];
      };
      try {
        const tag = userTag('user-1');
        assert.deepEqual(await commandsOf(() => store.getSessionAndUser(minted)), [`hmget {${tag}}:s:${minted}`]);
        // The cookie check proper: the record and its copy of the user in the same one command.
        assert.deepEqual(await commandsOf(() => store.getSessionCheck(minted)), [`hmget {${tag}}:s:${minted}`]);
        assert.deepEqual(await commandsOf(() => store.getSessionCheck('foreign-id')), ['hmget {fore}:s:foreign-id', 'get {fore}:p:foreign-id', `hmget {${tag}}:s:foreign-id`]);
        assert.deepEqual(await commandsOf(() => store.getSessionAndUser('foreign-id')), ['hmget {fore}:s:foreign-id', 'get {fore}:p:foreign-id', `hmget {${tag}}:s:foreign-id`]);
        // Inside commandsOf too: MONITOR reports a command after it ran, so a check outside
        // one would let its commands arrive in the next window.
        const found: Array<Awaited<ReturnType<typeof store.getSessionAndUser>>> = [];
        await commandsOf(async () => found.push(await store.getSessionAndUser('foreign-id')));
        assert.equal(found[0]?.session.id, 'foreign-id');
        // An unknown id: no fields, no pointer, and no further command.
        assert.deepEqual(await commandsOf(() => store.getSessionAndUser('nope-id')), ['hmget {nope}:s:nope-id', 'get {nope}:p:nope-id']);
      } finally {
        monitor.disconnect();
      }
    });

    it('null fields are absent fields, and every field round-trips', async () => {
      const { redis, prefix, store } = await setup();
      await seedUser(store, 1);
      const session = makeSession(await store.sessionIdFor('user-1', generateId(systemRandom)), 'user-1', { device: '', ip: '' });
      await store.createSession(session);
      const stored = await redis.hgetall(`${prefix}{${userTag('user-1')}}:s:${session.id}`);
      const { uEmail, uTimes, ...fields } = stored;
      assert.deepEqual(Object.keys(fields).sort(), Object.keys(session).filter((k) => session[k as keyof typeof session] !== null).sort());
      // The copy of the user, read at T0 (seeded with no disabledAt and no emailVerifiedAt).
      const user = await store.getUserById('user-1');
      assert.deepEqual([uEmail, JSON.parse(uTimes!)], [user!.email, [T0, user!.createdAt, null, null]]);
      // Every value within Redis's listpack bound (64 bytes): the record stays a compact hash.
      assert.equal(await redis.object('ENCODING', `${prefix}{${userTag('user-1')}}:s:${session.id}`), 'listpack');
      assert.deepEqual((await store.getSessionAndUser(session.id))?.session, session);
    });

    describe('the copy of the user in each record (userSnapshotMaxAgeMs)', () => {
      /** A database that counts its user reads, and can run something in the middle of one. */
      function countingDatabase() {
        const inner = createMemoryStore();
        const counter = { reads: 0, during: undefined as (() => Promise<void>) | undefined };
        const database = new Proxy(inner, {
          get(target, name) {
            // Bound to the store itself: its methods use private fields, which a proxy lacks.
            const value = Reflect.get(target, name, target) as unknown;
            if (name !== 'getUserById') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
            return async (id: string) => {
              counter.reads++;
              const user = await target.getUserById(id);
              await counter.during?.();
              return user;
            };
          },
        });
        return { database, inner, counter };
      }
      const clockAt = (start: number) => {
        const clock = { now: start, nowMs: () => clock.now };
        return clock;
      };

      it('a cookie check reads no database while the copy is younger than the bound (default 5 s), then reads it once and copies it again', async () => {
        const clock = clockAt(T0);
        const { database, counter } = countingDatabase();
        const { store } = await setup({ database, clock });
        await seedUser(store, 1, [['a']]);
        counter.reads = 0;
        for (let i = 0; i < 3; i++) assert.equal((await store.getSessionCheck('a'))?.user.email, 'User1@Example.com');
        assert.equal(counter.reads, 0, 'createSession wrote the copy');
        clock.now = T0 + 4_999;
        await store.getSessionCheck('a');
        assert.equal(counter.reads, 0);
        clock.now = T0 + 5_000;
        await store.getSessionCheck('a');
        assert.equal(counter.reads, 1, 'a copy read 5 s ago is too old');
        clock.now = T0 + 9_999;
        await store.getSessionCheck('a');
        assert.equal(counter.reads, 1, 'the copy was written again at T0 + 5 s');
        // A clock set back: a copy "read in the future" is not trusted either.
        clock.now = T0 + 4_000;
        await store.getSessionCheck('a');
        assert.equal(counter.reads, 2, 'a copy read after now is read again');
      });

      it('changes made through the store are seen by the next check at once: email, verification, disabled', async () => {
        const { store } = await setup();
        await seedUser(store, 1, [['a'], ['b']]);
        const userOf = async (id: string) => (await store.getSessionCheck(id))?.user;
        assert.equal((await userOf('a'))?.email, 'User1@Example.com');
        assert.equal(await store.updateUserEmail('user-1', 'New@Example.com', 'new@example.com', null), true);
        for (const id of ['a', 'b']) assert.deepEqual(await userOf(id), { id: 'user-1', email: 'New@Example.com', createdAt: T0, disabledAt: null, emailVerifiedAt: null });
        assert.equal(await store.setEmailVerified('user-1', 'new@example.com', T0 + 1), true);
        assert.equal((await userOf('b'))?.emailVerifiedAt, T0 + 1);
        assert.equal(await store.setUserDisabled('user-1', T0 + 2), true);
        assert.equal((await userOf('a'))?.disabledAt, T0 + 2);
        assert.equal(await store.setUserDisabled('user-1', null), true);
        assert.equal((await userOf('a'))?.disabledAt, null);
      });

      it('a change made in the database behind the store is seen once the copy is older than the bound', async () => {
        const clock = clockAt(T0);
        const { database, inner } = countingDatabase();
        const { store } = await setup({ database, clock, userSnapshotMaxAgeMs: 2_000 });
        await seedUser(store, 1, [['a']]);
        await inner.updateUserEmail('user-1', 'Behind@Example.com', 'behind@example.com', null);
        assert.equal((await store.getSessionCheck('a'))?.user.email, 'User1@Example.com', 'the copy answers within its bound');
        clock.now = T0 + 2_000;
        assert.equal((await store.getSessionCheck('a'))?.user.email, 'Behind@Example.com');
      });

      it('userSnapshotMaxAgeMs: 0 reads the user on every check and keeps no copy', async () => {
        const { database, counter } = countingDatabase();
        const { redis, prefix, store } = await setup({ database, userSnapshotMaxAgeMs: 0 });
        await seedUser(store, 1, [['a']]);
        counter.reads = 0;
        for (let i = 0; i < 3; i++) assert.equal((await store.getSessionCheck('a'))?.user.id, 'user-1');
        assert.equal(counter.reads, 3);
        const stored = await redis.hgetall(`${prefix}{${userTag('user-1')}}:s:a`);
        assert.deepEqual(Object.keys(stored).filter((k) => (USER_SNAPSHOT_FIELDS as readonly string[]).includes(k)), []);
      });

      it('copying the user never brings back a record that went away during the database read', async () => {
        const { database, counter } = countingDatabase();
        const { redis, prefix, store } = await setup({ database, userSnapshotMaxAgeMs: 0 });
        await seedUser(store, 1, [['a']]);
        // Now with copies: the record has none yet, so the check reads the database, during
        // which the record is deleted (as a user deletion would); the copy must not recreate it.
        const copying = createRedisStore({ client: redis, database, keyPrefix: prefix, clock: atT0 });
        const record = `${prefix}{${userTag('user-1')}}:s:a`;
        counter.during = async () => void (await redis.del(record));
        assert.equal((await copying.getSessionCheck('a'))?.session.id, 'a', 'this check had read the record');
        assert.equal(await redis.exists(record), 0);
      });

      it('a copy that is not well formed is not trusted: the user is read from the database and copied again', async () => {
        const { database, counter } = countingDatabase();
        const { redis, prefix, store } = await setup({ database });
        await seedUser(store, 1, [['a']]);
        const record = `${prefix}{${userTag('user-1')}}:s:a`;
        const good = await redis.hmget(record, ...USER_SNAPSHOT_FIELDS);
        const forged = ['', 'garbage', '{"readAt":1}', `[${T0},${T0},null]`, `[${T0},${T0},null,null,null]`, `[null,${T0},null,null]`, `["${T0}",${T0},null,null]`, `[${T0},${T0},"no",null]`, `[${T0},${T0},null,1e999]`];
        for (const bad of forged) {
          await redis.hset(record, 'uTimes', bad);
          counter.reads = 0;
          assert.equal((await store.getSessionCheck('a'))?.user.email, 'User1@Example.com', bad);
          assert.equal(counter.reads, 1, bad);
          assert.deepEqual(await redis.hmget(record, ...USER_SNAPSHOT_FIELDS), good, `${bad}: copied again`);
        }
        // Half a copy (say, one written by a build that kept other fields) is no copy.
        await redis.hdel(record, 'uTimes');
        counter.reads = 0;
        await store.getSessionCheck('a');
        assert.equal(counter.reads, 1);
        assert.deepEqual(await redis.hmget(record, ...USER_SNAPSHOT_FIELDS), good);
      });

      it('refuses a bound outside 0 to 60 s', () => {
        for (const bad of [-1, 60_001, 1.5, Number.NaN]) {
          assert.throws(() => createRedisStore({ client: new Redis({ lazyConnect: true }), database: createMemoryStore(), userSnapshotMaxAgeMs: bad }), TypeError, String(bad));
        }
      });
    });

    it('TTLs follow the injected clock: record at its earlier expiry + retention, index at the latest absolute expiry + retention', async () => {
      const retention = 10 * MINUTE;
      const { redis, prefix, store } = await setup({ expiredRetentionMs: retention });
      await seedUser(store, 1, [['a', { idleExpiresAt: T0 + 30 * MINUTE, absoluteExpiresAt: T0 + DAY }], ['b', { absoluteExpiresAt: T0 + 2 * DAY }]]);
      const tag = userTag('user-1');
      const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 5000, `${actual} ≈ ${expected}`);
      near(await redis.pttl(`${prefix}{${tag}}:s:a`), 30 * MINUTE + retention);
      near(await redis.pttl(`${prefix}{${tag}}:u:user-1`), 2 * DAY + retention);
      // 'a' is not minted by sessionIdFor: its pointer lives as long as the record can.
      const pointer = (await keysWithPrefix(redis, prefix)).find((k) => k.endsWith(':p:a'));
      near(await redis.pttl(pointer!), DAY + retention);
      await store.touchSession('a', T0 + 10 * MINUTE, T0 + 40 * MINUTE);
      near(await redis.pttl(`${prefix}{${tag}}:s:a`), 40 * MINUTE + retention);
      assert.equal(await store.rotateRefreshSecret({ sessionId: 'b', expectedSecretHash: 'hash-of-b', newSecretHash: 'n', at: T0 + MINUTE, idleExpiresAt: T0 + 50 * MINUTE }), true);
      near(await redis.pttl(`${prefix}{${tag}}:s:b`), 50 * MINUTE + retention);
    });

    it('Redis expires records by itself (real time), and the index forgets them on the next write', async () => {
      const { redis, prefix, store } = await setup({ clock: { nowMs: () => Date.now() }, expiredRetentionMs: 0 });
      await seedUser(store, 1);
      const now = Date.now();
      const short = await store.sessionIdFor('user-1', generateId(systemRandom));
      await store.createSession(makeSession(short, 'user-1', { createdAt: now, lastSeenAt: now, idleExpiresAt: now + 150, absoluteExpiresAt: now + 150 }));
      assert.ok(await store.getSessionAndUser(short));
      await sleep(300);
      assert.equal(await store.getSessionAndUser(short), null);
      const later = Date.now();
      const long = await store.sessionIdFor('user-1', generateId(systemRandom));
      await store.createSession(makeSession(long, 'user-1', { createdAt: later, lastSeenAt: later, idleExpiresAt: later + DAY, absoluteExpiresAt: later + DAY }));
      assert.deepEqual(await redis.zrange(`${prefix}{${userTag('user-1')}}:u:user-1`, 0, -1), [long]);
    });

    it('reads the user from the database on every lookup (no stale copy in Redis)', async () => {
      const { store } = await setup();
      await seedUser(store, 1, [['s1']]);
      await store.updatePasswordHash('user-1', '$argon2id$changed');
      assert.equal((await store.getSessionAndUser('s1'))?.user.passwordHash, '$argon2id$changed');
    });

    it('a failed feed append: endSessions rejects, the records stay ended, and the entries are published later', async () => {
      const flaky = new FlakyDatabase();
      const { store } = await setup({ database: flaky.store });
      await seedUser(store, 1, [['a1'], ['a2', { createdAt: T0 + 1 }]]);
      flaky.failAppends = true;
      await assert.rejects(store.endSessions(endRequest('user-1', { all: true, userNotBefore: true, feedExpiresAt: T0 + DAY })), /database unavailable/);
      assert.equal((await store.getSessionAndUser('a1'))?.session.revokedAt, T0 + MINUTE, 'ended in Redis');
      assert.deepEqual(await store.listRevocations(0, T0, 100), []);
      // Still down: a purge keeps them parked (and reports the failure).
      await assert.rejects(store.purgeExpired(T0), /database unavailable/);
      flaky.failAppends = false;
      assert.equal(await store.purgeExpired(T0), 0);
      const feed = (await store.listRevocations(0, T0, 100)).map((e) => [e.kind, e.subject, e.at, e.expiresAt]);
      assert.deepEqual(feed, [
        ['session', 'a2', T0 + MINUTE, T0 + DAY], ['session', 'a1', T0 + MINUTE, T0 + DAY], ['user', 'user-1', T0 + MINUTE, T0 + DAY],
      ]);
      assert.equal(await store.purgeExpired(T0), 0);
      assert.equal((await store.listRevocations(0, T0, 100)).length, 3, 'published once');
    });

    it('a parked entry is also published by the next endSessions of that user, before its own entries', async () => {
      const flaky = new FlakyDatabase();
      const { store } = await setup({ database: flaky.store });
      await seedUser(store, 1, [['a1'], ['a2']]);
      flaky.failAppends = true;
      await assert.rejects(store.endSessions(endRequest('user-1', { sessionIds: ['a1'] })));
      flaky.failAppends = false;
      // The retry ends nothing new (a1 is already ended) but publishes what was parked.
      assert.deepEqual(await store.endSessions(endRequest('user-1', { sessionIds: ['a1'] })), []);
      assert.deepEqual(await store.endSessions(endRequest('user-1', { sessionIds: ['a2'], at: T0 + 2 * MINUTE })), ['a2']);
      assert.deepEqual((await store.listRevocations(0, T0, 100)).map((e) => [e.subject, e.at]), [['a1', T0 + MINUTE], ['a2', T0 + 2 * MINUTE]]);
    });

    it('the feed is durable: deleting every Redis key loses sessions, never revocations', async () => {
      const { redis, prefix, store } = await setup();
      await seedUser(store, 1, [['a1']]);
      await store.endSessions(endRequest('user-1', { sessionIds: ['a1'], userNotBefore: true }));
      await deleteKeysWithPrefix(redis, prefix);
      assert.equal(await store.getSessionAndUser('a1'), null);
      assert.deepEqual((await store.listRevocations(0, T0, 100)).map((e) => e.kind), ['session', 'user']);
      assert.deepEqual(await store.getUserById('user-1'), makeUser(1));
    });

    it('close() stops the store but neither quits the client nor closes the database', async () => {
      const { redis, database, store } = await setup();
      await store.close();
      await assert.rejects(store.ping(), /closed/);
      assert.equal(await redis.ping(), 'PONG');
      await database.ping();
    });

    it('refuses a key prefix that would break the hash tags', async () => {
      const redis = await client();
      for (const keyPrefix of ['', 'a{b', 'a}b']) {
        assert.throws(() => createRedisStore({ client: redis, database: createMemoryStore(), keyPrefix }), TypeError);
      }
      assert.ok(createRedisStore({ client: redis, database: createMemoryStore() }) instanceof RedisStore);
    });

    it('purgeExpired touches no key outside its prefix', async () => {
      const { redis, prefix, store } = await setup();
      const neighbour = `${prefix.slice(0, -1)}-other:`;
      prefixes.add(neighbour);
      cleanups.push(() => deleteKeysWithPrefix(redis, neighbour));
      // The neighbour's entry would be purged at T0 + 1 h, but its key lives a day (its clock is a day behind).
      const other = createRedisStore({ client: redis, database: createMemoryStore(), keyPrefix: neighbour, clock: { nowMs: () => T0 - DAY } });
      await other.addLoginFailure('ip:1', T0, T0, T0 + MINUTE);
      await store.addLoginFailure('ip:1', T0, T0, T0 + 2 * MINUTE);
      assert.equal(await store.purgeExpired(T0 + 60 * MINUTE), 1);
      assert.deepEqual(await other.countLoginFailures('ip:1', 0), { count: 1, oldestAt: T0 });
    });
  });

  it('an unreachable Redis fails fast: getSessionAndUser rejects within about a second', async () => {
    const unreachable = new Redis('redis://127.0.0.1:1', redisClientOptions());
    unreachable.on('error', () => {}); // connection refused, reported by the commands
    try {
      const store = createRedisStore({ client: unreachable, database: createMemoryStore() });
      const started = performance.now();
      await assert.rejects(store.getSessionAndUser('AAAAAAAAAAAAAAAAAAAAAA'));
      await assert.rejects(store.ping());
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1000, `${Math.round(elapsed)} ms`);
    } finally {
      unreachable.disconnect();
    }
  });
});

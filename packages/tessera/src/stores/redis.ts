import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type IoRedisModule from 'ioredis';
import { requireOptionalPeer } from '../require-optional-peer.js';

// ioredis is an optional peer: without it, importing tessera/redis says what to install.
const ioredis = requireOptionalPeer<typeof IoRedisModule>('ioredis', 'tessera/redis', 'ioredis@5');
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
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
import type { LuaScript } from './redis-scripts.js';
import {
  ADD_FAILURE,
  REMOVE_FAILURE,
  CLAIM_ID,
  COUNT_ACTIVE,
  COUNT_FAILURES_SINCE,
  CREATE_SESSION,
  DELETE_USER_SESSIONS,
  DROP_USER_SNAPSHOTS,
  END_SESSIONS,
  LIST_SESSIONS,
  PURGE_FAILURES,
  PURGE_INDEX,
  ROTATE,
  SET_USER_SNAPSHOT,
  STASH_OUTBOX,
  TAKE_OUTBOX,
  TOUCH,
  USER_SNAPSHOT_FIELDS,
} from './redis-scripts.js';

// The Redis store: Redis keeps what is hot and short-lived (session records of both modes,
// refresh rotation state, login-failure counters), each key with a TTL; everything durable
// (users, signing keys, server secrets, leases, the revocation feed, the audit log, account
// tokens and the development mail outbox) is delegated to another Store
// (SQLite or PostgreSQL), so that a flushed or evicting Redis never loses a revocation.
//
// Key layout (p = keyPrefix, tag = the first 4 base64url chars of SHA-256(userId)):
//   p{tag}:s:<sessionId>  HASH  a session record; TTL = min(idle, absolute expiry) + retention
//   p{tag}:u:<userId>     ZSET  the user's session ids scored by absoluteExpiresAt; TTL = max
//   p{tag}:o:<userId>     ZSET  feed entries a failed database append left behind (outbox)
//   p{idslot}:p:<id>      STRING  pointer id → tag, only for ids not minted by sessionIdFor
//   p f:<throttle key>    ZSET  login failures scored by `at` (member "expiresAt:random")
// Every key of a user shares one hash tag, so multi-key operations are single-slot Lua scripts
// on Redis Cluster too. Ids from sessionIdFor start with their user's tag: a lookup by id alone
// finds the slot, and the record, in one round trip.

/**
 * Options of {@link createRedisStore}: the Redis client, the durable store behind it, and how
 * keys are named and kept.
 *
 * @example
 * ```ts
 * import { createRedisClient, createRedisStore } from 'tessera/redis'
 * import type { RedisStoreOptions } from 'tessera/redis'
 * import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite'
 *
 * const options: RedisStoreOptions = {
 *   client: createRedisClient('redis://127.0.0.1:6379'),
 *   database: createSqliteStore(openSqliteDatabase('data/tessera.db')),
 *   keyPrefix: 'staging:tessera:', // one prefix per deployment sharing the Redis
 * }
 * const store = createRedisStore(options)
 * ```
 */
export interface RedisStoreOptions {
  /** A connected client, owned by the caller (see {@link createRedisClient}, {@link createRedisCluster}). */
  client: Redis | Cluster;
  /** The durable store (SQLite, PostgreSQL) for users, keys, secrets and the revocation feed. Owned by the caller. */
  database: Store;
  /** Prefix of every key; distinct per deployment sharing one Redis. No `{` or `}`. Default `tessera:`. */
  keyPrefix?: string;
  /**
   * The clock the caller's timestamps come from (Tessera's `options.clock`): record TTLs are the
   * contract's absolute expiries minus its `nowMs()`, so they follow the caller's time, not the
   * Redis server's. Default: the system clock.
   */
  clock?: Clock;
  /**
   * How long a record stays readable after it expired, so a late request is told "expired"
   * rather than "unknown" (the SQLite store keeps expired rows until the next purge). Default 1 h.
   */
  expiredRetentionMs?: number;
  /**
   * How long the copy of a user kept in each of their session records may answer a cookie
   * check, in ms: 0 to 60,000, default 5,000; 0 reads the user from `database` on every check.
   * With the copy, a check is one HMGET, as the spec's "every request costs one store lookup"
   * says, instead of that plus a database read. The store drops the copies whenever it changes
   * the user (email, verification, disabled), so those are seen at once; this bound is for a
   * change made to the database behind the store's back, or one racing with a check that read
   * the user just before it (docs/scaling.md).
   */
  userSnapshotMaxAgeMs?: number;
}

const DEFAULT_PREFIX = 'tessera:';
const DEFAULT_RETENTION_MS = 3_600_000;
const DEFAULT_SNAPSHOT_MAX_AGE_MS = 5_000;
const MAX_SNAPSHOT_MAX_AGE_MS = 60_000;
const BASE64URL_4 = /^[A-Za-z0-9_-]{4}/;
const RANDOM_ID = /^[A-Za-z0-9_-]{22}$/;
const SCAN_COUNT = 500;

/**
 * A {@link Store} keeping session records and login failures in Redis (standalone or Cluster)
 * and delegating everything durable (users, keys, secrets, leases, the feed) to `database`.
 *
 * Ownership: the store owns neither the client nor the database. `close()` only stops the
 * store (every later call rejects); quit the client and close the database yourself, after.
 *
 * @example
 * ```ts
 * import { once } from 'node:events'
 * import { createTessera } from 'tessera'
 * import { createRedisClient, createRedisStore } from 'tessera/redis'
 * import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite'
 *
 * const client = createRedisClient('redis://127.0.0.1:6379')
 * await once(client, 'ready')
 * const database = createSqliteStore(openSqliteDatabase('data/tessera.db'))
 * const store = createRedisStore({ client, database })
 * await store.migrate() // migrates the database
 * const auth = await createTessera({ store, issuer: 'https://auth.example.com' })
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}

/**
 * Fail-fast client settings for the request path: a command fails at once while disconnected
 * (no offline queue), is retried at most once, and times out after 500 ms, so a Redis outage
 * turns into a prompt 503 rather than hung requests; reconnects back off up to 2 s. No
 * auto-pipelining, for two measured reasons:
 * - while Redis hangs, ioredis keeps one auto-pipeline per connection in flight and starts a
 *   command's timeout only when it is sent, so every command queued behind a stalled pipeline
 *   waits out that pipeline's timeout before its own (503s after ~800 ms, not 500);
 * - it costs the application more CPU than it saves: a cookie check on the Redis store ran at
 *   22,100 req/s with it and 26,600 without (server CPU 43.1 → 37.3 µs per request), while
 *   Redis spent 2.9 → 7.6 µs per request (one write per command instead of batches). Where
 *   Redis, shared by many instances, is the scarcer CPU, pass `{ enableAutoPipelining: true }`.
 *
 * For a client you construct yourself ({@link createRedisClient} applies them).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { redisClientOptions } from 'tessera/redis'
 *
 * const client = new Redis('rediss://redis.example.com:6380', { ...redisClientOptions(), username: 'tessera', password: process.env.REDIS_PASSWORD })
 * ```
 */
export function redisClientOptions(): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2000,
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
    enableAutoPipelining: false,
  };
}

/**
 * The same fail-fast settings for a {@link Cluster} (per-node settings go in `redisOptions`):
 * spread them, and merge your own node settings into `redisOptions`.
 *
 * @example
 * ```ts
 * import { createRedisCluster, redisClusterOptions } from 'tessera/redis'
 *
 * const defaults = redisClusterOptions()
 * const cluster = createRedisCluster([{ host: 'redis-1.internal', port: 6379 }], {
 *   redisOptions: { ...defaults.redisOptions, password: process.env.REDIS_PASSWORD },
 * })
 * ```
 */
export function redisClusterOptions(): ClusterOptions {
  return {
    enableOfflineQueue: false,
    enableAutoPipelining: false,
    clusterRetryStrategy: (times: number) => Math.min(times * 100, 2000),
    redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 500, connectTimeout: 2000 },
  };
}

/**
 * A standalone client with {@link redisClientOptions} (plus `overrides`), for a
 * {@link RedisStore} or a cluster bus. It connects at once; wait for `ready`.
 *
 * @example
 * ```ts
 * import { once } from 'node:events'
 * import { createRedisClient } from 'tessera/redis'
 *
 * const client = createRedisClient('redis://127.0.0.1:6379', { connectionName: 'tessera' })
 * client.on('error', (error) => console.warn('redis:', error.message)) // reconnects by itself
 * await once(client, 'ready')
 * ```
 */
export function createRedisClient(url: string, overrides: RedisOptions = {}): Redis {
  return new ioredis.Redis(url, { ...redisClientOptions(), ...overrides });
}

/**
 * A Cluster client with {@link redisClusterOptions} (plus `overrides`): the store keeps each
 * user's keys in one slot, so it works on Redis Cluster as on one node. It connects at once;
 * wait for `ready`.
 *
 * @example
 * ```ts
 * import { once } from 'node:events'
 * import { createRedisCluster } from 'tessera/redis'
 *
 * const cluster = createRedisCluster([{ host: 'redis-1.internal', port: 6379 }, { host: 'redis-2.internal', port: 6379 }])
 * cluster.on('error', (error) => console.warn('redis:', error.message))
 * await once(cluster, 'ready')
 * ```
 */
export function createRedisCluster(nodes: ClusterNode[], overrides: ClusterOptions = {}): Cluster {
  return new ioredis.Cluster(nodes, { ...redisClusterOptions(), ...overrides });
}

/** The hash tag of a user: the first 4 base64url characters of SHA-256(userId) (24 bits: 16 M shards). */
export function userTag(userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, 4);
}

/**
 * The slot part of a session id: its first 4 characters when they are base64url (so an id from
 * `sessionIdFor` names its user's slot), otherwise a tag derived from the whole id.
 */
function idSlot(sessionId: string): string {
  return BASE64URL_4.test(sessionId) ? sessionId.slice(0, 4) : userTag(`id:${sessionId}`);
}

const isCluster = (client: Redis | Cluster): client is Cluster => client.isCluster;

/**
 * The Redis implementation of the storage contract: what {@link createRedisStore} returns.
 * It owns neither its client nor its database: close those yourself, after it.
 *
 * @example
 * ```ts
 * import type { Redis } from 'ioredis'
 * import type { Store } from 'tessera'
 * import type { RedisStore } from 'tessera/redis'
 *
 * async function shutDown(store: RedisStore, client: Redis, database: Store): Promise<void> {
 *   await store.close() // later calls reject
 *   client.disconnect()
 *   await database.close()
 * }
 * ```
 */
export class RedisStore implements Store {
  readonly #client: Redis | Cluster;
  readonly #database: Store;
  readonly #p: string;
  readonly #clock: Clock;
  readonly #retain: number;
  readonly #snapshotMaxAge: number;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
    if (prefix === '' || /[{}]/.test(prefix)) {
      throw new TypeError('keyPrefix must be non-empty and contain no "{" or "}" (they would break the hash tags).');
    }
    const retain = options.expiredRetentionMs ?? DEFAULT_RETENTION_MS;
    if (!Number.isSafeInteger(retain) || retain < 0) throw new TypeError('expiredRetentionMs must be a non-negative integer.');
    this.#client = options.client;
    this.#database = options.database;
    this.#p = prefix;
    this.#clock = options.clock ?? systemClock;
    this.#retain = retain;
    const snapshotMaxAge = options.userSnapshotMaxAgeMs ?? DEFAULT_SNAPSHOT_MAX_AGE_MS;
    if (!Number.isSafeInteger(snapshotMaxAge) || snapshotMaxAge < 0 || snapshotMaxAge > MAX_SNAPSHOT_MAX_AGE_MS) {
      throw new TypeError(`userSnapshotMaxAgeMs must be an integer from 0 to ${MAX_SNAPSHOT_MAX_AGE_MS}.`);
    }
    this.#snapshotMaxAge = snapshotMaxAge;
  }

  // Keys --------------------------------------------------------------------------------------

  #record(tag: string, sessionId: string): string {
    return `${this.#p}{${tag}}:s:${sessionId}`;
  }
  #index(userId: string): string {
    return `${this.#p}{${userTag(userId)}}:u:${userId}`;
  }
  #outbox(userId: string): string {
    return `${this.#p}{${userTag(userId)}}:o:${userId}`;
  }
  #pointer(sessionId: string): string {
    return `${this.#p}{${idSlot(sessionId)}}:p:${sessionId}`;
  }
  #failures(key: string): string {
    return `${this.#p}f:${key}`;
  }

  // Plumbing ----------------------------------------------------------------------------------

  #open(): void {
    if (this.#closed) throw new Error('The Redis store is closed.');
  }

  /** EVALSHA, loading the script (EVAL) on the node that does not know it yet. */
  async #run(s: LuaScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await this.#client.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.#client.eval(s.lua, keys.length, ...keys, ...args);
    }
  }

  #ttlArgs(): [number, number] {
    return [Math.floor(this.#clock.nowMs()), this.#retain];
  }

  /** Runs a single-record script at the id's own slot, then (for a pointer) at the user's slot. */
  async #onRecord(s: LuaScript, sessionId: string, args: ReadonlyArray<string | number>): Promise<number> {
    const first = await this.#run(s, [this.#record(idSlot(sessionId), sessionId), this.#pointer(sessionId)], args);
    if (typeof first !== 'string') return Number(first);
    return Number(await this.#run(s, [this.#record(first, sessionId)], args));
  }

  // Lifecycle ---------------------------------------------------------------------------------

  /** Migrates the database; Redis has no schema. */
  async migrate(): Promise<void> {
    this.#open();
    await this.#database.migrate();
  }

  async ping(): Promise<void> {
    this.#open();
    await Promise.all([this.#client.ping(), this.#database.ping()]);
  }

  /** Stops this store. Neither the injected client nor the database is closed: their owner does that. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  // Users (database) --------------------------------------------------------------------------

  async createUser(user: UserRecord): Promise<void> {
    this.#open();
    return this.#database.createUser(user);
  }

  async getUserById(id: string): Promise<UserRecord | null> {
    this.#open();
    return this.#database.getUserById(id);
  }

  async getUserByEmail(emailNormalized: string): Promise<UserRecord | null> {
    this.#open();
    return this.#database.getUserByEmail(emailNormalized);
  }

  async updatePasswordHash(userId: string, passwordHash: string): Promise<void> {
    this.#open();
    return this.#database.updatePasswordHash(userId, passwordHash);
  }

  async listUsers(query: UserPageQuery): Promise<UserRecord[]> {
    this.#open();
    return this.#database.listUsers(query);
  }

  async setUserDisabled(userId: string, disabledAt: number | null): Promise<boolean> {
    this.#open();
    return this.#dropSnapshotsAfter(userId, await this.#database.setUserDisabled(userId, disabledAt));
  }

  /**
   * After a change of the user in the database, drops the copies of the user in their records
   * (one script on the user's slot), so that the next check reads the user afresh.
   */
  async #dropSnapshotsAfter(userId: string, changed: boolean): Promise<boolean> {
    if (changed) await this.#run(DROP_USER_SNAPSHOTS, [this.#index(userId)], [this.#record(userTag(userId), '')]);
    return changed;
  }

  /**
   * Deletes the user's records, their pointers and its index in Redis (one script on the
   * user's slot), then the user in the database. In that order: if the database then fails,
   * the account still exists with no records (signed out, as after a flush), and a retry
   * finishes. The user's outbox stays until its feed entries are published.
   */
  async deleteUser(userId: string): Promise<boolean> {
    this.#open();
    const tag = userTag(userId);
    const deleted = asStrings(await this.#run(DELETE_USER_SESSIONS, [this.#index(userId)], [this.#record(tag, '')]));
    for (const id of deleted) if (idSlot(id) !== tag) await this.#client.del(this.#pointer(id));
    return this.#database.deleteUser(userId);
  }

  async updateUserEmail(userId: string, email: string, emailNormalized: string, emailVerifiedAt: number | null): Promise<boolean> {
    this.#open();
    return this.#dropSnapshotsAfter(userId, await this.#database.updateUserEmail(userId, email, emailNormalized, emailVerifiedAt));
  }

  async setEmailVerified(userId: string, emailNormalized: string, at: number): Promise<boolean> {
    this.#open();
    return this.#dropSnapshotsAfter(userId, await this.#database.setEmailVerified(userId, emailNormalized, at));
  }

  // Account tokens and the development outbox (database) ---------------------------------------
  // Durable: a link in a mail must work after a Redis flush, and single use rests on the
  // database's compare-and-delete.

  async createAccountToken(token: AccountTokenRecord): Promise<void> {
    this.#open();
    return this.#database.createAccountToken(token);
  }

  async getAccountToken(id: string): Promise<AccountTokenRecord | null> {
    this.#open();
    return this.#database.getAccountToken(id);
  }

  async consumeAccountToken(id: string, purpose: AccountTokenPurpose, secretHash: string, now: number): Promise<AccountTokenRecord | null> {
    this.#open();
    return this.#database.consumeAccountToken(id, purpose, secretHash, now);
  }

  async deleteAccountTokens(userId: string, purposes: readonly AccountTokenPurpose[]): Promise<number> {
    this.#open();
    return this.#database.deleteAccountTokens(userId, purposes);
  }

  async appendOutboxMail(mail: NewOutboxMail): Promise<void> {
    this.#open();
    return this.#database.appendOutboxMail(mail);
  }

  async listOutboxMail(query: { limit: number }): Promise<OutboxMail[]> {
    this.#open();
    return this.#database.listOutboxMail(query);
  }

  // Session records (Redis) -------------------------------------------------------------------

  /** Places the record in its user's slot: the first 4 characters become the user's tag. */
  async sessionIdFor(userId: string, randomId: string): Promise<string> {
    this.#open();
    if (!RANDOM_ID.test(randomId)) throw new TypeError('sessionIdFor expects a 22-character base64url id.');
    return userTag(userId) + randomId.slice(4);
  }

  async createSession(session: SessionRecord): Promise<void> {
    this.#open();
    if (typeof session.id !== 'string' || session.id === '') throw new TypeError('A session id must be a non-empty string.');
    // The foreign key the SQL stores enforce: a record of an unknown user is refused.
    const [clockNow, retain] = this.#ttlArgs();
    const user = await this.#database.getUserById(session.userId);
    if (!user) throw new Error(`Cannot create a session record: no user ${JSON.stringify(session.userId)}.`);
    const tag = userTag(session.userId);
    const fields: Array<string | number> = [];
    for (const name of RECORD_FIELDS) if (session[name] !== null) fields.push(name, session[name]);
    if (this.#snapshotMaxAge > 0) fields.push(...snapshotPairs(user, clockNow));
    const args = [clockNow, retain, session.id, session.absoluteExpiresAt, session.idleExpiresAt, ...fields];
    const record = this.#record(tag, session.id);
    const index = this.#index(session.userId);

    if (idSlot(session.id) === tag) {
      // Minted by sessionIdFor (or happens to start with the tag): one script, one slot.
      if ((await this.#run(CREATE_SESSION, [record, index, this.#pointer(session.id)], args)) !== 1) throw duplicateId();
      return;
    }
    // Any other id: claim it in its own slot with a pointer to the user's tag, then write.
    const pointer = this.#pointer(session.id);
    const pointerTtl = Math.max(1, Math.ceil(session.absoluteExpiresAt + retain - clockNow));
    const claimed = await this.#run(CLAIM_ID, [this.#record(idSlot(session.id), session.id), pointer], [tag, pointerTtl]);
    if (claimed !== 1) throw duplicateId();
    try {
      if ((await this.#run(CREATE_SESSION, [record, index], args)) !== 1) throw duplicateId();
    } catch (error) {
      await this.#client.del(pointer).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The record (from Redis) and its user (from the database): two round trips, one to each.
   * An id minted by sessionIdFor is found with one HMGET; any other id (or an unknown one)
   * costs a GET of its pointer, then the HMGET at its user's slot. This runs on every request:
   * - plain commands, not a script: a Lua call cost Redis 4.7 µs against 0.9 µs for the
   *   HGETALL inside it (INFO commandstats);
   * - HMGET of the known fields, not HGETALL: ioredis turns an HGETALL reply into an object,
   *   40,000 instructions per record in the server (bench:instructions), and HMGET answers
   *   the values alone, in a fixed order.
   */
  async getSessionAndUser(sessionId: string): Promise<SessionAndUser | null> {
    this.#open();
    if (typeof sessionId !== 'string' || sessionId === '') return null;
    const found = await this.#readRecord(sessionId, RECORD_FIELDS);
    const session = found && parseRecord(found.values);
    if (!session) return null;
    const user = await this.#database.getUserById(session.userId);
    return user ? { session, user } : null;
  }

  /**
   * HMGET of `fields` of a record, and its key: at the id's own slot, which is its user's for an
   * id minted by sessionIdFor; otherwise (or for an unknown id) through a GET of its pointer.
   * Null when no record has any of the fields.
   */
  async #readRecord(sessionId: string, fields: readonly string[]): Promise<{ key: string; values: RecordValues } | null> {
    const own = this.#record(idSlot(sessionId), sessionId);
    const values = await this.#client.hmget(own, ...fields);
    if (!values.every((value) => value === null)) return { key: own, values };
    const tag = await this.#client.get(this.#pointer(sessionId));
    if (tag === null) return null;
    const key = this.#record(tag, sessionId);
    const pointed = await this.#client.hmget(key, ...fields);
    return pointed.every((value) => value === null) ? null : { key, values: pointed };
  }

  /**
   * What a cookie check reads: the record's check fields and its copy of the user, in one
   * HMGET (an id not minted by sessionIdFor costs a GET of its pointer and a second HMGET: see
   * #readRecord). The user is read from the database only when the record holds no copy
   * younger than `userSnapshotMaxAgeMs`; the copy is then written back (a script that never
   * recreates a record gone meanwhile).
   */
  async getSessionCheck(sessionId: string): Promise<SessionCheck | null> {
    this.#open();
    if (typeof sessionId !== 'string' || sessionId === '') return null;
    const found = await this.#readRecord(sessionId, CHECK_FIELDS);
    if (found === null) return null;
    const { key, values } = found;
    const session = parseCheckedSession(sessionId, values);
    const now = this.#clock.nowMs();
    const copy = this.#snapshotMaxAge > 0 ? parseSnapshot(session.userId, values, now, this.#snapshotMaxAge) : null;
    if (copy) return { session, user: copy };
    const user = await this.#database.getUserById(session.userId);
    if (!user) return null;
    if (this.#snapshotMaxAge > 0) await this.#run(SET_USER_SNAPSHOT, [key], snapshotValues(user, now));
    const { id, email, createdAt, disabledAt, emailVerifiedAt } = user;
    return { session, user: { id, email, createdAt, disabledAt, emailVerifiedAt } };
  }

  async touchSession(sessionId: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    this.#open();
    if (typeof sessionId !== 'string' || sessionId === '') return;
    await this.#onRecord(TOUCH, sessionId, [...this.#ttlArgs(), lastSeenAt, idleExpiresAt]);
  }

  async listUserSessions(userId: string, now: number): Promise<SessionRecord[]> {
    this.#open();
    const reply = await this.#run(LIST_SESSIONS, [this.#index(userId)], [now, this.#record(userTag(userId), '')]);
    const records: SessionRecord[] = [];
    for (const flat of Array.isArray(reply) ? reply : []) {
      const session = parseRecord(valuesOf(flat));
      if (session && session.userId === userId && isActive(session, now)) records.push(session);
    }
    return records.sort(newestFirst);
  }

  /**
   * Ends records in Redis (one script on the user's slot), THEN appends the feed entries to the
   * database. Redis first, because it holds what authenticates (cookies, refresh tokens): once
   * the script ran, the records are ended for good. If the append then fails, the call rejects
   * (503) and the entries wait in the user's outbox; the next endSessions of that user or the
   * next purgeExpired publishes them (the feed tolerates a duplicate, never a gap).
   */
  async endSessions(request: EndSessionsRequest): Promise<string[]> {
    this.#open();
    const { userId, at, feedExpiresAt } = request;
    const hasExcept = request.exceptSessionId !== undefined;
    const ids = request.all ? [] : [...(request.sessionIds ?? [])];
    const reply = await this.#run(END_SESSIONS, [this.#index(userId), this.#outbox(userId)], [
      ...this.#ttlArgs(), userId, at, this.#record(userTag(userId), ''), request.all ? '1' : '0',
      hasExcept ? '1' : '0', request.exceptSessionId ?? '', ...ids,
    ]);
    const [endedFlat, pendingFlat] = asPair(reply);
    let ended = pairs(endedFlat).map(([id, createdAt]) => ({ id, createdAt: Number(createdAt) }));
    if (request.all) ended = ended.sort((a, b) => b.createdAt - a.createdAt || compareDesc(a.id, b.id));
    const endedIds = ended.map((e) => e.id);

    const entries: NewRevocation[] = [
      ...decodeOutbox(pendingFlat),
      ...endedIds.map((id): NewRevocation => ({ kind: 'session', subject: id, at, expiresAt: feedExpiresAt })),
    ];
    if (request.userNotBefore) entries.push({ kind: 'user', subject: userId, at, expiresAt: feedExpiresAt });
    if (entries.length > 0) await this.#publish(userId, entries);
    return endedIds;
  }

  async rotateRefreshSecret(rotation: RefreshRotation): Promise<boolean> {
    this.#open();
    const { sessionId } = rotation;
    if (typeof sessionId !== 'string' || sessionId === '') return false;
    const result = await this.#onRecord(ROTATE, sessionId, [
      ...this.#ttlArgs(), rotation.expectedSecretHash, rotation.newSecretHash, rotation.at, rotation.idleExpiresAt,
    ]);
    return result === 1;
  }

  /**
   * A walk: every user index under the prefix (SCAN on every master), then one script per index
   * counting its active records. Exact, except that SCAN may return a key twice while Redis
   * rehashes (the count is then a little high for that one call). The cost grows with users and
   * records: it serves a gauge scraped now and then (the server caches it for 10 s), never the
   * request path.
   */
  async countActiveSessions(now: number): Promise<number> {
    this.#open();
    const indexPrefix = `${this.#p}{`;
    let count = 0;
    const batch: Array<Promise<unknown>> = [];
    for await (const key of this.#scanZsets()) {
      const parsed = parseUserKey(key, indexPrefix);
      if (!parsed || parsed.kind !== 'u') continue;
      // Sent together, each without waiting for the one before: one round trip per batch.
      batch.push(this.#run(COUNT_ACTIVE, [key], [now, this.#record(parsed.tag, '')]));
      if (batch.length >= SCAN_COUNT) count += sum(await Promise.all(batch.splice(0)));
    }
    return count + sum(await Promise.all(batch));
  }

  // Revocation feed (database) ----------------------------------------------------------------

  async appendRevocations(entries: readonly NewRevocation[]): Promise<RevocationEntry[]> {
    this.#open();
    return this.#database.appendRevocations(entries);
  }

  async listRevocations(afterSeq: number, now: number, limit: number): Promise<RevocationEntry[]> {
    this.#open();
    return this.#database.listRevocations(afterSeq, now, limit);
  }

  /** Appends to the durable feed; on failure, parks the entries in the user's outbox and rethrows. */
  async #publish(userId: string, entries: NewRevocation[]): Promise<void> {
    try {
      await this.#database.appendRevocations(entries);
    } catch (error) {
      const stamp = Math.floor(this.#clock.nowMs());
      const args: Array<string | number> = [stamp];
      entries.forEach((e, i) => args.push(e.expiresAt, encodeOutboxEntry(e, stamp, i)));
      await this.#run(STASH_OUTBOX, [this.#outbox(userId)], args).catch(() => undefined);
      throw error;
    }
  }

  // Audit log (database) ----------------------------------------------------------------------

  async appendAudit(entry: NewAuditEntry): Promise<void> {
    this.#open();
    return this.#database.appendAudit(entry);
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    this.#open();
    return this.#database.listAudit(query);
  }

  // Login throttling (Redis) ------------------------------------------------------------------

  async addLoginFailure(key: string, at: number, since: number, expiresAt: number): Promise<FailureCount> {
    this.#open();
    const member = `${expiresAt}:${randomBytes(9).toString('base64url')}`;
    const reply = await this.#run(ADD_FAILURE, [this.#failures(key)], [Math.floor(this.#clock.nowMs()), at, since, expiresAt, member]);
    return parseFailureCount(reply);
  }

  async countLoginFailures(key: string, since: number): Promise<FailureCount> {
    this.#open();
    return parseFailureCount(await this.#run(COUNT_FAILURES_SINCE, [this.#failures(key)], [since]));
  }

  async clearLoginFailures(key: string): Promise<void> {
    this.#open();
    await this.#client.del(this.#failures(key));
  }

  async removeLoginFailure(key: string, at: number): Promise<void> {
    this.#open();
    await this.#run(REMOVE_FAILURE, [this.#failures(key)], [at]);
  }

  // Signing keys and server secrets (database) -------------------------------------------------

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    this.#open();
    return this.#database.listSigningKeys();
  }

  async insertSigningKey(key: SigningKeyRecord): Promise<void> {
    this.#open();
    return this.#database.insertSigningKey(key);
  }

  async updateSigningKey(kid: string, changes: Pick<SigningKeyRecord, 'retiresAt' | 'expiresAt'>): Promise<void> {
    this.#open();
    return this.#database.updateSigningKey(kid, changes);
  }

  async getOrCreateSecret(name: string, candidate: string): Promise<string> {
    this.#open();
    return this.#database.getOrCreateSecret(name, candidate);
  }

  // Coordination (database) -------------------------------------------------------------------

  /**
   * Delegated to the database, with the signing keys the lease guards: a lease that a flushed
   * or evicting Redis could drop would let two instances rotate keys at once.
   */
  async tryAcquireLease(name: string, holder: string, now: number, expiresAt: number): Promise<boolean> {
    this.#open();
    return this.#database.tryAcquireLease(name, holder, now, expiresAt);
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.#open();
    return this.#database.releaseLease(name, holder);
  }

  // Purge -------------------------------------------------------------------------------------

  /**
   * Redis expires keys by itself (every key has a TTL); this removes, at the caller's `now`,
   * what the contract says is purged before its TTL: revoked or expired records (and their
   * pointers) and login failures with `expiresAt <= now`. It also publishes parked outbox
   * entries, then purges the database. Walks the key space with SCAN (on every master of a
   * Cluster): a background job, never on the request path.
   */
  async purgeExpired(now: number): Promise<number> {
    this.#open();
    const [clockNow, retain] = this.#ttlArgs();
    const indexPrefix = `${this.#p}{`;
    const failurePrefix = `${this.#p}f:`;
    let removed = 0;
    let publishError: unknown;
    for await (const key of this.#scanZsets()) {
      if (key.startsWith(failurePrefix)) {
        removed += Number(await this.#run(PURGE_FAILURES, [key], [now]));
        continue;
      }
      const parsed = parseUserKey(key, indexPrefix);
      if (!parsed) continue;
      if (parsed.kind === 'u') {
        const deleted = asStrings(await this.#run(PURGE_INDEX, [key], [clockNow, retain, now, this.#record(parsed.tag, '')]));
        removed += deleted.length;
        const pointers = deleted.filter((id) => idSlot(id) !== parsed.tag).map((id) => this.#pointer(id));
        for (const pointer of pointers) await this.#client.del(pointer);
      } else {
        const entries = decodeOutbox(asStrings(await this.#run(TAKE_OUTBOX, [key], [now])));
        if (entries.length > 0) {
          await this.#publish(parsed.userId, entries).catch((error: unknown) => {
            publishError ??= error;
          });
        }
      }
    }
    removed += await this.#database.purgeExpired(now);
    if (publishError !== undefined) throw publishError;
    return removed;
  }

  /**
   * Every ZSET under the prefix (indexes, outboxes, failure sets), from every master, one SCAN
   * batch at a time (memory stays flat however many users there are). SCAN may yield a key
   * twice; every step of the purge is idempotent.
   */
  async *#scanZsets(): AsyncGenerator<string> {
    const nodes: Redis[] = isCluster(this.#client) ? this.#client.nodes('master') : [this.#client];
    const match = `${escapeGlob(this.#p)}*`;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT, 'TYPE', 'zset');
        yield* batch;
        cursor = next;
      } while (cursor !== '0');
    }
  }

}

// Records -------------------------------------------------------------------------------------

/**
 * Every field of a record hash, in the order {@link parseRecord} reads them (HMGET). The
 * `satisfies` says each is a record field; {@link UnlistedField} says none is missing, so a
 * field added to SessionRecord fails to compile until it is stored and read here.
 */
const RECORD_FIELDS = [
  'id', 'userId', 'mode', 'secretHash', 'previousSecretHash', 'rotatedAt', 'generation',
  'device', 'ip', 'createdAt', 'lastSeenAt', 'idleExpiresAt', 'absoluteExpiresAt', 'revokedAt',
] as const satisfies ReadonlyArray<keyof SessionRecord>;

type UnlistedField = Exclude<keyof SessionRecord, (typeof RECORD_FIELDS)[number]>;
const everyFieldListed: [UnlistedField] extends [never] ? true : UnlistedField = true;
void everyFieldListed;

/** The values of {@link RECORD_FIELDS}, as HMGET gives them (null: no such field). */
type RecordValues = ReadonlyArray<string | null>;

/** Record values from a script's flat `[name, value, …]` reply (HGETALL inside Lua). */
function valuesOf(reply: unknown): RecordValues {
  const fields = new Map(pairs(asStrings(reply)));
  return RECORD_FIELDS.map((name) => fields.get(name) ?? null);
}

// A missing number reads NaN (no comparison passes), a missing optional one null.
const num = (value: string | null | undefined): number => (value == null ? Number.NaN : Number(value));
const optNum = (value: string | null | undefined): number | null => (value == null ? null : Number(value));

/** A session record from its values; null for a missing hash (every value null). */
function parseRecord(v: RecordValues): SessionRecord | null {
  if (v.every((value) => value === null)) return null;
  const [id, userId, mode, secretHash, previousSecretHash, rotatedAt, generation, device, ip, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt, revokedAt] = v;
  return {
    id: id ?? '',
    userId: userId ?? '',
    mode: (mode ?? '') as SessionRecord['mode'],
    secretHash: secretHash ?? '',
    previousSecretHash: previousSecretHash ?? null,
    rotatedAt: optNum(rotatedAt),
    generation: num(generation),
    device: device ?? '',
    ip: ip ?? '',
    createdAt: num(createdAt),
    lastSeenAt: num(lastSeenAt),
    idleExpiresAt: num(idleExpiresAt),
    absoluteExpiresAt: num(absoluteExpiresAt),
    revokedAt: optNum(revokedAt),
  };
}

/**
 * What {@link RedisStore.getSessionCheck} reads: the check's fields of the record, then the copy
 * of its user. Not the id: the caller has it (it names the key).
 */
const CHECK_FIELDS = [
  'userId', 'mode', 'secretHash', 'lastSeenAt', 'idleExpiresAt', 'absoluteExpiresAt', 'revokedAt', ...USER_SNAPSHOT_FIELDS,
] as const satisfies ReadonlyArray<keyof SessionRecord | (typeof USER_SNAPSHOT_FIELDS)[number]>;

/** The check's fields of record `id`, from the values of {@link CHECK_FIELDS} (the record exists). */
function parseCheckedSession(id: string, v: RecordValues): SessionCheck['session'] {
  const [userId, mode, secretHash, lastSeenAt, idleExpiresAt, absoluteExpiresAt, revokedAt] = v;
  return {
    id,
    userId: userId ?? '',
    mode: (mode ?? '') as SessionRecord['mode'],
    secretHash: secretHash ?? '',
    lastSeenAt: num(lastSeenAt),
    idleExpiresAt: num(idleExpiresAt),
    absoluteExpiresAt: num(absoluteExpiresAt),
    revokedAt: optNum(revokedAt),
  };
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isOptTime = (value: unknown): value is number | null => value === null || isTime(value);

/** JSON.parse, or undefined for what is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The copy of the user in the values of {@link CHECK_FIELDS}; null when absent or not well
 * formed, read `maxAge` ago or earlier, or read "after" `now` (a clock set back must not
 * stretch a copy's life).
 */
function parseSnapshot(userId: string, v: RecordValues, now: number, maxAge: number): SessionCheck['user'] | null {
  const [email, timesJson] = v.slice(CHECK_FIELDS.length - USER_SNAPSHOT_FIELDS.length);
  if (email == null || timesJson == null) return null;
  // JSON.parse, not split and Number(): a 13-digit string costs Number() about 1,000 instructions.
  const times = parseJson(timesJson);
  if (!Array.isArray(times) || times.length !== 4) return null;
  const [readAt, createdAt, disabledAt, emailVerifiedAt] = times as unknown[];
  if (!isTime(readAt) || !isTime(createdAt) || !isOptTime(disabledAt) || !isOptTime(emailVerifiedAt)) return null;
  const age = now - readAt;
  if (!(age >= 0 && age < maxAge)) return null;
  return { id: userId, email, createdAt, disabledAt, emailVerifiedAt };
}

/** The copy of `user` read at `readAt`: the values of {@link USER_SNAPSHOT_FIELDS}. */
function snapshotValues(user: UserRecord, readAt: number): [string, string] {
  return [user.email, JSON.stringify([Math.floor(readAt), user.createdAt, user.disabledAt, user.emailVerifiedAt])];
}

/** The same as field/value pairs of a record. */
function snapshotPairs(user: UserRecord, readAt: number): string[] {
  const [email, times] = snapshotValues(user, readAt);
  return [USER_SNAPSHOT_FIELDS[0], email, USER_SNAPSHOT_FIELDS[1], times];
}

const isActive = (s: SessionRecord, at: number): boolean =>
  s.revokedAt === null && s.idleExpiresAt > at && s.absoluteExpiresAt > at;

/** Descending by code unit, as the other stores order ids. */
const compareDesc = (a: string, b: string): number => (a < b ? 1 : a > b ? -1 : 0);

/** `createdAt` descending, then `id` descending. */
const newestFirst = (a: SessionRecord, b: SessionRecord): number => b.createdAt - a.createdAt || compareDesc(a.id, b.id);

function duplicateId(): Error {
  return new Error('A session record with this id exists.');
}

// Replies -------------------------------------------------------------------------------------

function sum(replies: readonly unknown[]): number {
  return replies.reduce<number>((total, reply) => total + Number(reply), 0);
}

function asStrings(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.map((v) => String(v)) : [];
}

function asPair(reply: unknown): [string[], string[]] {
  const [a, b] = Array.isArray(reply) ? reply : [];
  return [asStrings(a), asStrings(b)];
}

/** [a, b, c, d] → [[a, b], [c, d]]. */
function pairs(flat: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function parseFailureCount(reply: unknown): FailureCount {
  const [count, oldest] = Array.isArray(reply) ? reply : [];
  return { count: Number(count ?? 0), oldestAt: oldest === null || oldest === undefined ? null : Number(oldest) };
}

/**
 * Outbox members: JSON [stamp, position, kind, subject, at], the score is `expiresAt`. The stamp
 * (when the entries were parked) and the position keep the order of the failed append.
 */
function encodeOutboxEntry(e: NewRevocation, stamp: number, position: number): string {
  return JSON.stringify([stamp, position, e.kind, e.subject, e.at]);
}

/** Parked entries (member, score, … as ZRANGE WITHSCORES returns them), in their original order. */
function decodeOutbox(flat: readonly string[]): NewRevocation[] {
  return pairs(flat)
    .map(([member, score]) => {
      const [stamp, position, kind, subject, at] = JSON.parse(member) as [number, number, NewRevocation['kind'], string, number];
      return { stamp, position, entry: { kind, subject, at, expiresAt: Number(score) } };
    })
    .sort((a, b) => a.stamp - b.stamp || a.position - b.position)
    .map((parked) => parked.entry);
}

/** `p{tag}:u:<userId>` or `p{tag}:o:<userId>` → its parts; null for any other key. */
function parseUserKey(key: string, indexPrefix: string): { kind: 'u' | 'o'; tag: string; userId: string } | null {
  if (!key.startsWith(indexPrefix)) return null;
  const rest = key.slice(indexPrefix.length);
  const match = /^([A-Za-z0-9_-]{4})\}:([uo]):/.exec(rest);
  if (!match) return null;
  return { kind: match[2] as 'u' | 'o', tag: match[1]!, userId: rest.slice(match[0].length) };
}

/** Escapes the glob characters of SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

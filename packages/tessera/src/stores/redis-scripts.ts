import { createHash } from 'node:crypto';

// The Lua scripts of the Redis store. Each runs atomically on the keys of ONE hash slot: the
// keys it declares share a hash tag, and the keys it builds from a prefix argument (the records
// listed in a user's index) carry that same tag. Redis Cluster allows such same-slot access;
// it refuses cross-slot access, which no script here attempts.
//
// Conventions: epoch milliseconds travel as decimal strings and are stored as received (no
// Lua number formatting on the way back); `fmt` formats the numbers Lua computes (TTLs).
// A record HASH holds every SessionRecord field; a null field is an absent field.

const PRELUDE = `
local function fmt(n) return string.format('%d', math.ceil(n)) end

-- Active at 'at': not revoked, neither expiry reached (fields: revokedAt, idle, absolute).
local function active(revokedAt, idle, absolute, at)
  return not revokedAt and tonumber(idle) > at and tonumber(absolute) > at
end

-- A record lives until its earlier expiry plus the retention (while it can still be reported
-- as expired rather than unknown); never less than 1 ms (PEXPIRE with 0 would delete it).
local function recordTtl(idle, absolute, clockNow, retain)
  local ttl = math.min(tonumber(idle), tonumber(absolute)) + retain - clockNow
  if ttl < 1 then ttl = 1 end
  return fmt(ttl)
end

-- Drops index entries whose record has certainly expired (absolute + retention reached), and
-- lets the index itself expire with its longest-lived entry.
local function trimIndex(idx, clockNow, retain)
  redis.call('ZREMRANGEBYSCORE', idx, '-inf', fmt(clockNow - retain))
  local top = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
  if top[2] then
    local ttl = tonumber(top[2]) + retain - clockNow
    if ttl < 1 then ttl = 1 end
    redis.call('PEXPIRE', idx, fmt(ttl))
  end
end
`;

/** A Lua script and its SHA-1 (for EVALSHA). */
export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, body: string): LuaScript {
  const lua = `${PRELUDE}\n${body}`;
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * KEYS: record, index[, pointer (same slot: the id's own slot is the user's)].
 * ARGV: clockNow, retain, id, absoluteExpiresAt, idleExpiresAt, field, value, …
 * Returns 1, or 0 when the id is taken (a record or a pointer exists).
 */
export const CREATE_SESSION = script('createSession', `
local clockNow, retain = tonumber(ARGV[1]), tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], recordTtl(ARGV[5], ARGV[4], clockNow, retain))
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
trimIndex(KEYS[2], clockNow, retain)
return 1
`);

/**
 * Claims an id that does not name its user's slot: KEYS: record and pointer in the id's slot.
 * ARGV: the user's tag, the pointer's TTL. Returns 1, or 0 when the id is taken.
 */
export const CLAIM_ID = script('claimId', `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1
`);

/**
 * KEYS: record[, pointer]. ARGV: clockNow, retain, lastSeenAt, idleExpiresAt.
 * Returns 1 (touched), 0 (no effect), or the pointer's tag when the record lives elsewhere.
 */
export const TOUCH = script('touch', `
local clockNow, retain = tonumber(ARGV[1]), tonumber(ARGV[2])
local f = redis.call('HMGET', KEYS[1], 'revokedAt', 'idleExpiresAt', 'absoluteExpiresAt')
if not f[3] then
  if KEYS[2] then return redis.call('GET', KEYS[2]) or 0 end
  return 0
end
if not active(f[1], f[2], f[3], tonumber(ARGV[3])) then return 0 end
local idle = ARGV[4]
if tonumber(idle) > tonumber(f[3]) then idle = f[3] end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[3], 'idleExpiresAt', idle)
redis.call('PEXPIRE', KEYS[1], recordTtl(idle, f[3], clockNow, retain))
return 1
`);

/**
 * The refresh compare-and-set. KEYS: record[, pointer].
 * ARGV: clockNow, retain, expectedSecretHash, newSecretHash, at, idleExpiresAt.
 * Returns 1 (rotated), 0 (refused, nothing changed), or the pointer's tag.
 */
export const ROTATE = script('rotate', `
local clockNow, retain = tonumber(ARGV[1]), tonumber(ARGV[2])
local f = redis.call('HMGET', KEYS[1], 'secretHash', 'revokedAt', 'idleExpiresAt', 'absoluteExpiresAt')
if not f[4] then
  if KEYS[2] then return redis.call('GET', KEYS[2]) or 0 end
  return 0
end
if f[1] ~= ARGV[3] or not active(f[2], f[3], f[4], tonumber(ARGV[5])) then return 0 end
local idle = ARGV[6]
if tonumber(idle) > tonumber(f[4]) then idle = f[4] end
redis.call('HSET', KEYS[1], 'previousSecretHash', f[1], 'secretHash', ARGV[4], 'rotatedAt', ARGV[5],
  'lastSeenAt', ARGV[5], 'idleExpiresAt', idle)
redis.call('HINCRBY', KEYS[1], 'generation', 1)
redis.call('PEXPIRE', KEYS[1], recordTtl(idle, f[4], clockNow, retain))
return 1
`);

/**
 * Ends records of one user. KEYS: index, outbox.
 * ARGV: clockNow, retain, userId, at, record key prefix, all ('1'/'0'), hasExcept ('1'/'0'),
 * exceptSessionId, id, id, … (the listed ids when not all).
 * Returns { ended: id, createdAt, id, createdAt, … ; pending outbox: member, score, … }:
 * the outbox (feed entries a failed append left behind) is taken (deleted) in the same step.
 */
export const END_SESSIONS = script('endSessions', `
local clockNow, retain = tonumber(ARGV[1]), tonumber(ARGV[2])
local userId, atText, prefix = ARGV[3], ARGV[4], ARGV[5]
local at, all, hasExcept, except = tonumber(atText), ARGV[6] == '1', ARGV[7] == '1', ARGV[8]
local candidates = {}
if all then
  candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. atText, '+inf')
else
  for i = 9, #ARGV do candidates[#candidates + 1] = ARGV[i] end
end
local ended = {}
for _, id in ipairs(candidates) do
  if not (hasExcept and id == except) then
    local key = prefix .. id
    local f = redis.call('HMGET', key, 'userId', 'revokedAt', 'idleExpiresAt', 'absoluteExpiresAt', 'createdAt')
    if f[1] == userId and active(f[2], f[3], f[4], at) then
      redis.call('HSET', key, 'revokedAt', atText)
      ended[#ended + 1] = id
      ended[#ended + 1] = f[5]
    elseif all and not f[1] then
      redis.call('ZREM', KEYS[1], id)
    end
  end
end
trimIndex(KEYS[1], clockNow, retain)
local pending = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. atText, '+inf', 'WITHSCORES')
redis.call('DEL', KEYS[2])
return { ended, pending }
`);

/** KEYS: index. ARGV: now, record key prefix. Returns the records (HGETALL each) with absoluteExpiresAt > now. */
export const LIST_SESSIONS = script('listSessions', `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
local out = {}
for _, id in ipairs(ids) do out[#out + 1] = redis.call('HGETALL', ARGV[2] .. id) end
return out
`);

/**
 * KEYS: index. ARGV: clockNow, retain, now, record key prefix.
 * Deletes the user's records revoked or expired at now; returns their ids.
 */
export const PURGE_INDEX = script('purgeIndex', `
local clockNow, retain, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local deleted = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[4] .. id
  local f = redis.call('HMGET', key, 'revokedAt', 'idleExpiresAt', 'absoluteExpiresAt')
  if not f[3] then
    redis.call('ZREM', KEYS[1], id)
  elseif not active(f[1], f[2], f[3], now) then
    redis.call('DEL', key)
    redis.call('ZREM', KEYS[1], id)
    deleted[#deleted + 1] = id
  end
end
trimIndex(KEYS[1], clockNow, retain)
return deleted
`);

/**
 * KEYS: index. ARGV: now, record key prefix. Counts the user's records active at now (the
 * index lists every live record of the user; revoked and idle-expired ones are skipped).
 */
export const COUNT_ACTIVE = script('countActive', `
local now, count = tonumber(ARGV[1]), 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  local f = redis.call('HMGET', ARGV[2] .. id, 'revokedAt', 'idleExpiresAt', 'absoluteExpiresAt')
  if f[3] and active(f[1], f[2], f[3], now) then count = count + 1 end
end
return count
`);

/**
 * KEYS: index. ARGV: record key prefix. Deletes every record of the user and the index itself
 * (the outbox stays: its feed entries must still be published). Returns the ids deleted.
 */
export const DELETE_USER_SESSIONS = script('deleteUserSessions', `
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do redis.call('DEL', ARGV[1] .. id) end
redis.call('DEL', KEYS[1])
return ids
`);

/**
 * The fields of a record that hold a copy of its user (RedisStore's user snapshot), written and
 * dropped together: the email, and `[readAt, createdAt, disabledAt, emailVerifiedAt]` as JSON
 * (ms or null). Two fields, not one per value: each field a cookie check reads costs the client
 * about 0.45 µs (a RESP argument out, a Buffer in and its decoding). Not one JSON field either:
 * a value longer than 64 bytes (Redis's default `hash-max-listpack-value`) turns the whole hash
 * from a listpack into a hash table, which doubled the bytes of a record (623 → 1,214 in
 * `npm run bench`); the times take at most 57 bytes. (An email longer than 64 bytes still does,
 * as it did when it had a field of its own.)
 */
export const USER_SNAPSHOT_FIELDS = ['uEmail', 'uTimes'] as const;

/**
 * KEYS: record. ARGV: email, times (the values of {@link USER_SNAPSHOT_FIELDS}). Replaces the
 * record's copy of its user; a record that no longer exists is not created again. Returns 1 or 0.
 */
export const SET_USER_SNAPSHOT = script('setUserSnapshot', `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], '${USER_SNAPSHOT_FIELDS[0]}', ARGV[1], '${USER_SNAPSHOT_FIELDS[1]}', ARGV[2])
return 1
`);

/**
 * KEYS: index. ARGV: record key prefix. Drops the copy of the user from each of the user's
 * records (the next check reads the user from the database). Returns how many records it visited.
 */
export const DROP_USER_SNAPSHOTS = script('dropUserSnapshots', `
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do redis.call('HDEL', ARGV[1] .. id, '${USER_SNAPSHOT_FIELDS[0]}', '${USER_SNAPSHOT_FIELDS[1]}') end
return #ids
`);

/** KEYS: outbox. ARGV: now. Takes (returns and deletes) the entries with expiresAt > now: member, score, … */
export const TAKE_OUTBOX = script('takeOutbox', `
local pending = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')
redis.call('DEL', KEYS[1])
return pending
`);

/** KEYS: outbox. ARGV: clockNow, score, member, score, member, … Keeps the outbox until its last entry expires. */
export const STASH_OUTBOX = script('stashOutbox', `
local clockNow = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] then
  local ttl = tonumber(top[2]) - clockNow
  if ttl < 1 then ttl = 1 end
  redis.call('PEXPIRE', KEYS[1], fmt(ttl))
end
return 1
`);

const COUNT_FAILURES = `
local function countSince(key, since)
  local count = redis.call('ZCOUNT', key, since, '+inf')
  local oldest = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  return { count, oldest[2] or false }
end
`;

/**
 * KEYS: failures (a ZSET scored by `at`; member = expiresAt:random). ARGV: clockNow, at, since,
 * expiresAt, member. Returns { count, oldestAt or nil } since `since`.
 */
export const ADD_FAILURE = script('addFailure', `${COUNT_FAILURES}
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[5])
local ttl = tonumber(ARGV[4]) - tonumber(ARGV[1])
if ttl < 1 then ttl = 1 end
local current = redis.call('PTTL', KEYS[1])
if current < ttl then redis.call('PEXPIRE', KEYS[1], fmt(ttl)) end
return countSince(KEYS[1], ARGV[3])
`);

/** KEYS: failures. ARGV: at. Removes one entry scored `at`, if any; returns how many (0 or 1). */
export const REMOVE_FAILURE = script('removeFailure', `
local found = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'LIMIT', 0, 1)
if found[1] then return redis.call('ZREM', KEYS[1], found[1]) end
return 0
`);

/** KEYS: failures. ARGV: since. Returns { count, oldestAt or nil }. */
export const COUNT_FAILURES_SINCE = script('countFailures', `${COUNT_FAILURES}
return countSince(KEYS[1], ARGV[1])
`);

/** KEYS: failures. ARGV: now. Deletes the entries with expiresAt <= now; returns how many. */
export const PURGE_FAILURES = script('purgeFailures', `
local now, removed = tonumber(ARGV[1]), 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local expiresAt = tonumber(string.match(member, '^([^:]+):'))
  if expiresAt and expiresAt <= now then
    redis.call('ZREM', KEYS[1], member)
    removed = removed + 1
  end
end
return removed
`);

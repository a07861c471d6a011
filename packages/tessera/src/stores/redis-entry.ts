// `tessera/redis`: the Redis store (sessions, refresh state, throttles; durable data in a
// database store), fail-fast client options, and the pub/sub cluster bus.
export { createRedisStore, RedisStore, redisClientOptions, redisClusterOptions, createRedisClient, createRedisCluster } from './redis.js';
export type { RedisStoreOptions } from './redis.js';
export { createRedisClusterBus } from './redis-bus.js';
export type { RedisClusterBusOptions } from './redis-bus.js';

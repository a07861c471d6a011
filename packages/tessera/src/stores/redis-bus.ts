import type { Cluster, Redis } from 'ioredis';
import type { ClusterBus, ClusterMessage } from '../revocation/cluster-bus.js';
import { parseClusterMessage } from '../revocation/cluster-bus.js';

/**
 * Options of {@link createRedisClusterBus}: the pub/sub channel, one per deployment sharing
 * the Redis.
 *
 * @example
 * ```ts
 * import { createRedisClient, createRedisClusterBus } from 'tessera/redis'
 * import type { RedisClusterBusOptions } from 'tessera/redis'
 *
 * const options: RedisClusterBusOptions = { channel: 'staging:tessera:cluster' }
 * const clusterBus = createRedisClusterBus(createRedisClient('redis://127.0.0.1:6379'), options)
 * ```
 */
export interface RedisClusterBusOptions {
  /** The pub/sub channel; instances of one deployment must agree on it. */
  channel?: string;
}

/**
 * A {@link ClusterBus} on Redis pub/sub. Publishing uses the injected client; subscribing
 * uses a duplicate of it (a subscribed connection can do nothing else). On Redis Cluster,
 * PUBLISH reaches subscribers on every node. Pub/sub delivers at most once and not to a
 * subscriber that is reconnecting: the periodic catch-up from the durable feed covers that.
 *
 * @example
 * ```ts
 * import { createTessera } from 'tessera'
 * import { createRedisClient, createRedisClusterBus } from 'tessera/redis'
 *
 * const client = createRedisClient('redis://127.0.0.1:6379') // the one the Redis store uses will do
 * const auth = await createTessera({ store, issuer: 'https://auth.example.com', clusterBus: createRedisClusterBus(client) })
 * ```
 */
export function createRedisClusterBus(client: Redis | Cluster, options: RedisClusterBusOptions = {}): ClusterBus {
  const channel = options.channel ?? 'tessera:cluster';
  return {
    async publish(message: ClusterMessage): Promise<void> {
      await client.publish(channel, JSON.stringify(message));
    },
    async subscribe(listener) {
      // A subscriber must not fail fast like the request path: it queues its SUBSCRIBE until
      // connected, waits without a command timeout, and resubscribes after reconnecting.
      const patient = { enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null, autoResubscribe: true };
      const subscriber = (client as Cluster).isCluster
        // duplicate() replaces `redisOptions` whole: keep the node settings (credentials, TLS).
        ? (client as Cluster).duplicate(undefined, { enableOfflineQueue: true, redisOptions: { ...(client as Cluster).options.redisOptions, ...patient } })
        : (client as Redis).duplicate(patient);
      subscriber.on('error', () => {
        // Reconnects on its own; the catch-up covers what was missed meanwhile.
      });
      subscriber.on('message', (from: string, text: string) => {
        if (from !== channel) return;
        const message = parseClusterMessage(text);
        if (message) listener(message);
      });
      await subscriber.subscribe(channel);
      return async () => {
        subscriber.disconnect();
      };
    },
  };
}

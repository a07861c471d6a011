import type { Pool, PoolClient } from 'pg';
import type { ClusterBus, ClusterMessage } from '../revocation/cluster-bus.js';
import { parseClusterMessage } from '../revocation/cluster-bus.js';

/**
 * Options of {@link createPostgresClusterBus}: the channel (one per deployment sharing the
 * database) and how soon a lost listener reconnects.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createPostgresClusterBus } from 'tessera/postgres'
 * import type { PostgresClusterBusOptions } from 'tessera/postgres'
 *
 * const options: PostgresClusterBusOptions = { channel: 'tessera_staging', reconnectDelayMs: 2000 }
 * const clusterBus = createPostgresClusterBus(new pg.Pool({ connectionString: process.env.DATABASE_URL }), options)
 * ```
 */
export interface PostgresClusterBusOptions {
  /** The LISTEN/NOTIFY channel (an identifier); instances of one deployment must agree on it. */
  channel?: string;
  /** Delay before re-listening after the listening connection was lost, in milliseconds. */
  reconnectDelayMs?: number;
}

/** NOTIFY payloads are limited to 8000 bytes; a bigger message becomes "catch up now". */
const MAX_PAYLOAD_BYTES = 7900;

/**
 * A {@link ClusterBus} on PostgreSQL LISTEN/NOTIFY. Notifications are delivered at commit
 * and only to connected listeners: a listener that lost its connection re-listens after a
 * delay, and the periodic catch-up from the durable feed covers the gap. A message too large
 * for a NOTIFY payload is sent as an empty revocation list, which makes receivers catch up.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createTessera } from 'tessera'
 * import { createPostgresClusterBus, createPostgresStore } from 'tessera/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * const store = createPostgresStore(pool)
 * await store.migrate()
 * // The bus may share the store's pool (it holds one connection for LISTEN): close auth before the store.
 * const auth = await createTessera({ store, issuer: 'https://auth.example.com', clusterBus: createPostgresClusterBus(pool) })
 * ```
 */
export function createPostgresClusterBus(pool: Pool, options: PostgresClusterBusOptions = {}): ClusterBus {
  const channel = options.channel ?? 'tessera_cluster';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new TypeError('The LISTEN channel must be a lower-case SQL identifier.');
  const reconnectDelayMs = options.reconnectDelayMs ?? 1000;
  return {
    async publish(message: ClusterMessage): Promise<void> {
      let payload = JSON.stringify(message);
      if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) payload = JSON.stringify({ type: 'revocations', entries: [] });
      await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async subscribe(listener) {
      let client: PoolClient | undefined;
      let stopped = false;
      let retry: NodeJS.Timeout | undefined;
      const listen = async (): Promise<void> => {
        const c = await pool.connect();
        let dropped = false;
        /** Gives the connection back to be discarded, once (an error and a failed LISTEN may both come). */
        const drop = (): void => {
          if (dropped) return;
          dropped = true;
          c.removeAllListeners('notification');
          c.release(true);
          if (client === c) client = undefined;
        };
        c.on('notification', (n) => {
          if (n.channel !== channel || n.payload === undefined) return;
          const message = parseClusterMessage(n.payload);
          if (message) listener(message);
        });
        c.on('error', () => {
          // The connection is gone: drop it and listen again later.
          drop();
          scheduleRetry();
        });
        try {
          await c.query(`LISTEN ${channel}`);
        } catch (error) {
          // A LISTEN that failed or timed out (PostgreSQL slow) leaves the connection to no one:
          // kept, each retry took one more of the pool until none was left for requests.
          drop();
          throw error;
        }
        if (stopped) drop();
        else client = c;
      };
      const scheduleRetry = () => {
        if (stopped || retry) return;
        retry = setTimeout(() => {
          retry = undefined;
          listen().catch(scheduleRetry);
        }, reconnectDelayMs);
        retry.unref();
      };
      await listen();
      return async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        if (client) {
          await client.query(`UNLISTEN ${channel}`).catch(() => {});
          client.release(true);
          client = undefined;
        }
      };
    },
  };
}

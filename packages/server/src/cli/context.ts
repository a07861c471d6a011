/**
 * The store and the auth service for one CLI command: the configuration of `tessera serve`
 * (flags, then TESSERA_* variables), the stores it selects through the same `openStores`
 * (SQLite, PostgreSQL, Redis: whichever is configured, migrated on open as the server does),
 * and, when a command needs it, the same `createTessera` service the server runs, so that
 * what the CLI does is exactly what the server would do: the same audit entries, the same
 * revocation feed, the same key rotation with its lease.
 */
import type { ClusterBus, ClusterMessage, Store, Tessera } from 'tessera';
import { isTesseraError } from 'tessera';
import { tesseraOptionsFrom } from '../tessera-options.js';
import { loadConfig } from '../config.js';
import type { ServerConfig } from '../config.js';
import type { OpenedStores } from '../stores.js';
import { CliError, EXIT } from './output.js';

/** What a store-backed command works with. */
export interface CommandContext {
  readonly config: ServerConfig;
  readonly store: Store;
  /** What serves what (no secrets), e.g. "SQLite (data/tessera.db)". */
  readonly description: string;
  /**
   * The auth service over the store, created on first call. Creating it loads the signing
   * keys and, on a store that has none able to sign, creates the first one (as a server's
   * first start does), so read-only commands that can do without it should.
   */
  auth(): Promise<Tessera>;
  /** Tells running servers that something changed (keys), when the deployment has a bus. */
  publish(message: ClusterMessage): Promise<void>;
}

/**
 * A bus for a short-lived process: it publishes (revocations, `keys_changed`) like a server,
 * but listens to nothing, and remembers what it sent so that the command can wait for the
 * messages to leave before it closes the connections (the library publishes without waiting).
 */
function sendOnlyBus(bus: ClusterBus): ClusterBus & { flush(): Promise<void> } {
  const pending = new Set<Promise<void>>();
  return {
    publish(message) {
      const sent = bus.publish(message).finally(() => pending.delete(sent));
      pending.add(sent);
      return sent;
    },
    subscribe: async () => async () => {},
    async flush() {
      await Promise.allSettled([...pending]);
    },
  };
}

function debug(error: unknown): void {
  if (process.env.TESSERA_DEBUG === '1') process.stderr.write(`tessera: background: ${error instanceof Error ? error.message : String(error)}\n`);
}

/**
 * The failure to open the configured stores, for exit 1: which store, and the driver's reason
 * (the cause of an `unavailable`, not its "temporarily": at start nothing is temporary yet).
 * Driver messages name the host and port, never the URL's password.
 */
export function storeFailure(config: ServerConfig, error: unknown, doing = 'open the store'): CliError {
  const inner = error instanceof Error && isTesseraError(error) && error.cause instanceof Error ? error.cause : error;
  const reason = inner instanceof Error ? inner.message : String(inner);
  const what = config.databaseUrl !== undefined ? 'PostgreSQL' : `SQLite in ${config.dataDir} (TESSERA_DATA_DIR)`;
  return new CliError(EXIT.failure, `cannot ${doing} (${what}${config.redisUrl !== undefined ? ' + Redis' : ''}): ${reason}`);
}

/** Opens the configured stores, or fails with exit 1 saying which could not be reached. */
async function open(config: ServerConfig): Promise<OpenedStores> {
  // Loaded here, not at the top: `--help` and usage errors need neither drivers nor library.
  const { openStores } = await import('../stores.js');
  try {
    return await openStores(config, debug);
  } catch (error) {
    throw storeFailure(config, error);
  }
}

/**
 * Loads the configuration from `configArgv` and the environment, opens the stores, runs
 * `work`, then closes everything (timers, bus, connections), whatever happened.
 */
export async function withContext<T>(configArgv: readonly string[], work: (ctx: CommandContext) => Promise<T>): Promise<T> {
  const config = loadConfig(configArgv, process.env);
  const stores = await open(config);
  const bus = stores.clusterBus ? sendOnlyBus(stores.clusterBus) : undefined;
  const { createTessera } = await import('tessera');
  // The same mail as the server (SMTP, or the development outbox): a user created here gets
  // the same verification mail as one who signs up.
  const { createServerMail } = await import('../mail.js');
  const mail = createServerMail(config, stores.store);
  let auth: Promise<Tessera> | undefined;
  try {
    return await work({
      config,
      store: stores.store,
      description: stores.description,
      auth: () => (auth ??= createTessera(tesseraOptionsFrom(config, stores.store, bus, mail.mailer))),
      publish: async (message) => {
        await bus?.publish(message);
      },
    });
  } finally {
    if (auth) await auth.then((a) => a.close(), () => {});
    await bus?.flush();
    mail.close();
    await stores.close();
  }
}

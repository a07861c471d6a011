/** `tessera serve`: runs the auth server until SIGINT or SIGTERM. */
import { loadConfig } from '../config.js';
import { wantsHelp } from './args.js';
import { storeFailure } from './context.js';
import { EXIT } from './output.js';

const USAGE = `Usage: tessera serve [--port N] [--host H] [--data-dir DIR] [--issuer URL]
                     [--database-url URL] [--redis-url URL]

Runs the auth server. Configuration comes from flags, then TESSERA_* environment variables,
then defaults; see the configuration table in the README.

  --port N             TCP port (PORT, default 3000)
  --host H             address to listen on (HOST, default 127.0.0.1)
  --data-dir DIR       SQLite directory (TESSERA_DATA_DIR, default ./data)
  --database-url URL   PostgreSQL instead of SQLite (TESSERA_DATABASE_URL)
  --redis-url URL      Redis for sessions (TESSERA_REDIS_URL)
  --issuer URL         issuer of access tokens (TESSERA_ISSUER)
  --json               accepted for symmetry: the log is JSON lines already`;

/** Starts the server; resolves with -1 (keep running) once it listens. */
export async function runServe(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  // The server's output is its log, JSON lines already: --json is accepted and changes nothing.
  const config = loadConfig(argv.filter((a) => a !== '--json'), process.env);
  const { buildServer } = await import('../app.js');
  let server: Awaited<ReturnType<typeof buildServer>>;
  try {
    server = await buildServer(config);
  } catch (error) {
    // Which store, and why: a read-only or corrupt SQLite file read "temporarily unavailable".
    throw storeFailure(config, error, 'start the server');
  }
  let closing = false;
  const stop = async (signal: string) => {
    if (closing) return;
    closing = true;
    server.app.log.info({ signal }, 'shutting down');
    // In-flight requests get two seconds; then every connection is closed, including ones that
    // never sent a request (Node 20 does not count those as idle). A close that still hangs
    // ends the process anyway.
    setTimeout(() => server.app.server.closeAllConnections(), 2_000).unref();
    setTimeout(() => process.exit(1), 10_000).unref();
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await server.app.listen({ port: config.port, host: config.host });
  return -1;
}

#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { buildServer } from './app.js';

/**
 * The `tessera` command. Exit codes: 0 success, 1 runtime failure, 2 usage or configuration
 * error (the message names the variable or flag).
 */
const USAGE = `Usage: tessera <command> [options]

Commands:
  serve     Run the auth server (see --help of serve for flags)

Run "tessera serve --help" for the server's flags; every flag has an environment variable
(flags override the environment, which overrides the defaults).`;

const SERVE_USAGE = `Usage: tessera serve [--port N] [--host H] [--data-dir DIR] [--issuer URL]
                     [--database-url URL] [--redis-url URL]

Runs the auth server. Configuration comes from flags, then TESSERA_* environment variables,
then defaults; see the configuration table in the README.`;

async function serve(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SERVE_USAGE);
    return 0;
  }
  const config = loadConfig(argv, process.env);
  const server = await buildServer(config);
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
  return -1; // keep running
}

async function main(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: args.slice(0, 1), allowPositionals: true, strict: false });
  const command = positionals[0];
  switch (command) {
    case 'serve':
      return serve(args.slice(1));
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`tessera: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`tessera: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    console.error('tessera: failed to start:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);

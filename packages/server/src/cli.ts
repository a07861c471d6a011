#!/usr/bin/env node
/**
 * The `tessera` command: the server and its operations. Each command group lives in
 * `cli/<group>.ts` and is loaded only when asked for, so `tessera token decode` does not load
 * Fastify. Exit codes (docs/cli.md): 0 success, 1 runtime failure, 2 usage or configuration
 * error, 3 not found, 4 verification failed.
 */
import { EXIT, reportError, usageError } from './cli/output.js';

const USAGE = `Usage: tessera <command> [options]

Commands:
  serve                           run the auth server
  migrate                         create or upgrade the database schema
  user create|list|disable|enable|delete
                                  administer accounts
  sessions list|revoke            a user's sessions, ending one or all
  keys list|rotate|retire         JWT signing keys
  token decode|verify             inspect or verify an access token
  audit                           read the audit log
  mail list                       the development outbox (mail kept when no SMTP is set)
  hash calibrate                  argon2id parameters for this machine
  bench                           compare session and JWT mode over HTTP here

Every command takes --help and --json. Commands that use the store read the configuration of
"tessera serve": flags (--data-dir, --database-url, --redis-url, --issuer), then TESSERA_*
variables, then defaults.

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error, 3 not found,
4 verification failed. Reference: docs/cli.md.`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./cli/serve.js')).runServe,
  migrate: async () => (await import('./cli/migrate.js')).runMigrate,
  user: async () => (await import('./cli/user.js')).runUser,
  sessions: async () => (await import('./cli/sessions.js')).runSessions,
  keys: async () => (await import('./cli/keys.js')).runKeys,
  token: async () => (await import('./cli/token.js')).runToken,
  audit: async () => (await import('./cli/audit.js')).runAudit,
  mail: async () => (await import('./cli/mail.js')).runMail,
  hash: async () => (await import('./cli/hash.js')).runHash,
  bench: async () => (await import('./cli/bench.js')).runBench,
};

async function main(args: string[]): Promise<number> {
  const name = args[0];
  if (name === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT.usage;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    // "tessera help user create" is "tessera user create --help".
    if (name === 'help' && args.length > 1) return main([...args.slice(1), '--help']);
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    const shown = name.startsWith('-') ? name.split('=', 1)[0]! : name;
    throw usageError(`unknown command "${shown.slice(0, 40)}" (see "tessera --help")`);
  }
  return (await load())(args.slice(1));
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    // -1: the server is running; the process ends on a signal.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportError(error, argv.includes('--json'));
  },
);

/**
 * `tessera sessions list|revoke`: a user's session records in both modes (cookie sessions and
 * refresh-token families), and ending one or all of them as an administrator. Ending goes
 * through the library (`endSession` / `endAllSessions` with reason `admin`): the durable
 * revocation feed, the cluster bus and the audit log, so running servers refuse the
 * credentials from the next request on (at once with a bus, within the catch-up interval,
 * one second by default, without).
 */
import type { PublicSession } from 'tessera';
import { CONFIG_FLAGS_HELP, parseCommand, stringFlag } from './args.js';
import { withContext } from './context.js';
import { EXIT, notFound, printJson, printLines, printTable, shortTime, usageError } from './output.js';
import type { Column } from './output.js';
import { runSubcommand } from './subcommands.js';
import { resolveUser } from './user.js';

const GROUP_USAGE = `Usage: tessera sessions <command> [options]

Commands:
  list <id|email>                         a user's active sessions, both modes
  revoke <session id> --user <id|email>   end one session (its cookie or refresh family and access tokens)
  revoke --all --user <id|email>          end every session of the user

See "tessera sessions <command> --help".`;

const LIST_USAGE = `Usage: tessera sessions list <id|email> [--json]

Lists the user's active session records, newest first, in both modes: "session" (a cookie)
and "jwt" (a refresh-token family and its access tokens).

  <id|email>           the user's id or email
  --json               print {"user":{…},"sessions":[{id, mode, device, ip, createdAt,
                       lastSeenAt, expiresAt}]}

${CONFIG_FLAGS_HELP}`;

const REVOKE_USAGE = `Usage: tessera sessions revoke <session id> --user <id|email> [--json]
       tessera sessions revoke --all --user <id|email> [--json]

Ends one session record of the user, or all of them (--all, which also refuses every access
token issued to the user so far). Running servers refuse the credentials from the next
request on. Recorded in the audit log as done by an administrator.

  <session id>         the session to end (see "tessera sessions list")
  --user <id|email>    whose session (required: a session is always ended as its user's)
  --all                end every session of the user instead of one
  --json               print {"userId":…,"revoked":N,"sessionId"?:…}

${CONFIG_FLAGS_HELP}`;

type ShownSession = Omit<PublicSession, 'current'>;

const SESSION_COLUMNS: readonly Column<ShownSession>[] = [
  { header: 'ID', value: (s) => s.id },
  { header: 'MODE', value: (s) => s.mode },
  { header: 'DEVICE', value: (s) => s.device || '-' },
  { header: 'IP', value: (s) => s.ip || '-' },
  { header: 'CREATED', value: (s) => shortTime(s.createdAt) },
  { header: 'LAST SEEN', value: (s) => shortTime(s.lastSeenAt) },
  { header: 'EXPIRES', value: (s) => shortTime(s.expiresAt) },
];

async function list(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { name: 'sessions list', usage: LIST_USAGE, config: true, positionals: ['id|email'] });
  if (!parsed) return EXIT.ok;
  return withContext(parsed.configArgv, async (ctx) => {
    const user = await resolveUser(ctx.store, parsed.positionals[0]!);
    const auth = await ctx.auth();
    // `current` means "the caller's own session" in the API; the CLI has none.
    const sessions: ShownSession[] = (await auth.listSessions(user.id)).map(({ current: _current, ...s }) => s);
    if (parsed.json) printJson({ user: { id: user.id, email: user.email }, sessions });
    else {
      printLines(`Sessions of ${user.email} (${user.id}):`);
      printTable(sessions, SESSION_COLUMNS, '(no active sessions)');
    }
    return EXIT.ok;
  });
}

async function revoke(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    name: 'sessions revoke', usage: REVOKE_USAGE, config: true, positionals: ['session id'], optionalPositionals: 1,
    options: { user: { type: 'string' }, all: { type: 'boolean' } },
  });
  if (!parsed) return EXIT.ok;
  const userRef = stringFlag(parsed.values, 'user');
  if (userRef === undefined) throw usageError('sessions revoke needs --user <id|email> (see "tessera sessions revoke --help")');
  const all = parsed.values.all === true;
  const sessionId = parsed.positionals[0];
  if (all === (sessionId !== undefined)) {
    throw usageError('sessions revoke takes either a <session id> or --all (see "tessera sessions revoke --help")');
  }
  return withContext(parsed.configArgv, async (ctx) => {
    const user = await resolveUser(ctx.store, userRef);
    const auth = await ctx.auth();
    if (all) {
      const revoked = await auth.endAllSessions(user.id, 'admin');
      if (parsed.json) printJson({ userId: user.id, revoked });
      else printLines(`Ended ${revoked} session${revoked === 1 ? '' : 's'} of ${user.email}; every access token issued to the user so far is refused.`);
      return EXIT.ok;
    }
    if (!(await auth.endSession(user.id, sessionId!, 'admin'))) {
      throw notFound(`${user.email} has no active session ${JSON.stringify(sessionId!.slice(0, 64))} (see "tessera sessions list ${user.id}")`);
    }
    if (parsed.json) printJson({ userId: user.id, sessionId, revoked: 1 });
    else printLines(`Ended session ${sessionId} of ${user.email}.`);
    return EXIT.ok;
  });
}

/** `tessera sessions …`. */
export function runSessions(argv: string[]): Promise<number> {
  return runSubcommand('sessions', argv, GROUP_USAGE, { list, revoke });
}

/**
 * `tessera user create|list|disable|enable|delete`: account administration through the
 * library's own calls (`register`, `listUsers`, `disableUser`, `enableUser`, `deleteUser`), so
 * a disable ends every session and token on every instance exactly as the library documents,
 * and each action lands in the audit log. Output never holds a password hash.
 */
import { emailComparisonKey } from 'tessera';
import type { Store, UserRecord } from 'tessera';
import { CONFIG_FLAGS_HELP, integerFlag, parseCommand, stringFlag } from './args.js';
import type { ParsedCommand } from './args.js';
import { withContext } from './context.js';
import { EXIT, notFound, printJson, printLines, printTable, shortTime, usageError } from './output.js';
import type { Column } from './output.js';
import { readStdinLine } from './stdin-line.js';
import { runSubcommand } from './subcommands.js';

const GROUP_USAGE = `Usage: tessera user <command> [options]

Commands:
  create --email E --password-stdin   create an account (password: one line on stdin)
  list [--limit N] [--after ID]       list accounts in id order, a page at a time
  disable <id|email>                  disable an account and end all its sessions and tokens
  enable <id|email>                   let an account sign in again (disabled or locked)
  delete <id|email> --yes             delete an account (its sessions end first)

Every command takes --json and the configuration flags; see "tessera user <command> --help".`;

const CREATE_USAGE = `Usage: tessera user create --email EMAIL --password-stdin [--json]

Creates an account, with the server's password policy and argon2id parameters. The password
is read as one line from stdin (without echo on a terminal); there is no --password flag, as
a password on the command line would land in shell history and in "ps".

  --email EMAIL        the account's email
  --password-stdin     read the password from stdin (required)
  --json               print the user as JSON

${CONFIG_FLAGS_HELP}

Example:
  printf '%s\\n' "$PASSWORD" | tessera user create --email ada@example.com --password-stdin`;

const LIST_USAGE = `Usage: tessera user list [--limit N] [--after ID] [--json]

Lists accounts in id order, N at a time (default 100, at most 1000).

  --limit N            users per page (1 to 1000)
  --after ID           start after this id (the "next" of the previous page)
  --json               print {"users":[…],"next":ID|null}

${CONFIG_FLAGS_HELP}`;

const refUsage = (verb: string, what: string, extra = '') => `Usage: tessera user ${verb} <id|email>${extra} [--json]

${what}

  <id|email>           the user's id, or email (anything with an @ is an email)
${extra ? '  --yes                confirm the deletion (required)\n' : ''}  --json               print the user as JSON

${CONFIG_FLAGS_HELP}`;

const DISABLE_USAGE = refUsage('disable', `Disables an account: it can no longer sign in or refresh, and every session record and access
token it holds is refused from the next request on, on every instance (through the durable
revocation feed and the cluster bus). Idempotent.`);
const ENABLE_USAGE = refUsage('enable', 'Lets an account sign in again: enables it, and ends the lock of its password sign-in after 100 consecutive failures (ended sessions stay ended).');
const DELETE_USAGE = refUsage('delete', `Deletes an account: every session and token ends first (as with disable), then the
account and its session records are removed; the email becomes free. Audit entries stay.`, ' --yes');

/**
 * A user as the CLI shows it, the shape of the library's `AdminUser` (what `user list`
 * prints): never the password hash.
 */
interface ShownUser {
  id: string;
  email: string;
  createdAt: string;
  disabledAt: string | null;
  /** Present when the library records email verification. */
  emailVerifiedAt?: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function shownUser(user: UserRecord): ShownUser {
  const verifiedAt = (user as { emailVerifiedAt?: number | null }).emailVerifiedAt;
  return {
    id: user.id,
    email: user.email,
    createdAt: new Date(user.createdAt).toISOString(),
    disabledAt: iso(user.disabledAt),
    ...(verifiedAt === undefined ? {} : { emailVerifiedAt: iso(verifiedAt) }),
  };
}

/** The table columns; VERIFIED only when the users carry it. */
function userColumns(users: readonly ShownUser[]): Column<ShownUser>[] {
  return [
    { header: 'ID', value: (u) => u.id },
    { header: 'EMAIL', value: (u) => u.email },
    { header: 'CREATED', value: (u) => shortTime(u.createdAt) },
    ...(users.some((u) => u.emailVerifiedAt !== undefined) ? [{ header: 'VERIFIED', value: (u: ShownUser) => shortTime(u.emailVerifiedAt) }] : []),
    { header: 'DISABLED', value: (u) => shortTime(u.disabledAt) },
  ];
}

/**
 * Finds a user by id or, when `ref` holds an `@`, by email (ids never do). Throws a
 * not-found error (exit 3) for an unknown one.
 */
export async function resolveUser(store: Store, ref: string): Promise<UserRecord> {
  const byEmail = ref.includes('@');
  const user = byEmail ? await store.getUserByEmail(emailComparisonKey(ref)) : await store.getUserById(ref);
  if (!user) throw notFound(`no user with ${byEmail ? 'email' : 'id'} ${JSON.stringify(ref.length > 80 ? `${ref.slice(0, 80)}…` : ref)}`);
  return user;
}

function printUser(parsed: ParsedCommand, user: ShownUser, message: string): void {
  if (parsed.json) printJson({ user });
  else {
    printLines(message);
    printTable([user], userColumns([user]));
  }
}

async function create(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    name: 'user create', usage: CREATE_USAGE, config: true,
    options: { email: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  });
  if (!parsed) return EXIT.ok;
  const email = stringFlag(parsed.values, 'email');
  if (email === undefined) throw usageError('user create needs --email (see "tessera user create --help")');
  if (parsed.values['password-stdin'] !== true) {
    throw usageError('user create reads the password from stdin: pass --password-stdin (there is no --password flag, so that no password lands in shell history)');
  }
  const password = await readStdinLine('Password: ');
  if (password === '') throw usageError('no password on stdin (one line expected)');
  return withContext(parsed.configArgv, async (ctx) => {
    const auth = await ctx.auth();
    const created = await auth.register({ email, password });
    const stored = await ctx.store.getUserById(created.id);
    printUser(parsed, stored ? shownUser(stored) : { ...created, disabledAt: null }, 'Created user:');
    return EXIT.ok;
  });
}

async function list(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    name: 'user list', usage: LIST_USAGE, config: true,
    options: { limit: { type: 'string' }, after: { type: 'string' } },
  });
  if (!parsed) return EXIT.ok;
  const limit = integerFlag(parsed.values, 'limit', 1, 1000);
  const afterId = stringFlag(parsed.values, 'after');
  return withContext(parsed.configArgv, async (ctx) => {
    const auth = await ctx.auth();
    const page = await auth.listUsers({ ...(afterId === undefined ? {} : { afterId }), ...(limit === undefined ? {} : { limit }) });
    if (parsed.json) printJson(page);
    else {
      const users: ShownUser[] = page.users;
      printTable(users, userColumns(users), '(no users)');
      if (page.next !== null) printLines(`more: tessera user list --after=${page.next}${limit === undefined ? '' : ` --limit ${limit}`}`);
    }
    return EXIT.ok;
  });
}

type AdminAction = 'disable' | 'enable' | 'delete';

async function administer(action: AdminAction, argv: string[]): Promise<number> {
  const usage = action === 'disable' ? DISABLE_USAGE : action === 'enable' ? ENABLE_USAGE : DELETE_USAGE;
  const parsed = parseCommand(argv, {
    name: `user ${action}`, usage, config: true, positionals: ['id|email'],
    options: action === 'delete' ? { yes: { type: 'boolean' } } : {},
  });
  if (!parsed) return EXIT.ok;
  if (action === 'delete' && parsed.values.yes !== true) {
    throw usageError('user delete is permanent: add --yes to confirm');
  }
  return withContext(parsed.configArgv, async (ctx) => {
    const user = await resolveUser(ctx.store, parsed.positionals[0]!);
    const auth = await ctx.auth();
    const done = action === 'disable' ? await auth.disableUser(user.id)
      : action === 'enable' ? await auth.enableUser(user.id)
        : await auth.deleteUser(user.id);
    // Gone between the lookup and the action (deleted by someone else).
    if (!done) throw notFound(`no user with id ${JSON.stringify(user.id)}`);
    if (action === 'delete') {
      if (parsed.json) printJson({ deleted: { id: user.id, email: user.email } });
      else printLines(`Deleted user ${user.email} (${user.id}); its sessions and tokens were ended first.`);
      return EXIT.ok;
    }
    const now = await ctx.store.getUserById(user.id);
    const shown = shownUser(now ?? user);
    printUser(parsed, shown, action === 'disable'
      ? 'Disabled user (every session record and access token is refused from now on):'
      : 'Enabled user (sessions ended earlier stay ended):');
    return EXIT.ok;
  });
}

/** `tessera user …`. */
export function runUser(argv: string[]): Promise<number> {
  return runSubcommand('user', argv, GROUP_USAGE, {
    create,
    list,
    disable: (a) => administer('disable', a),
    enable: (a) => administer('enable', a),
    delete: (a) => administer('delete', a),
  });
}

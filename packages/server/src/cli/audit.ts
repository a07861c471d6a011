/**
 * `tessera audit`: the audit log of any account, or of everyone, newest first, through the
 * library's `listAudit` (entries hold opaque ids, the client address and a fixed-vocabulary
 * detail; never an email, a password or a credential).
 */
import type { PublicAuditEntry } from 'tessera';
import { CONFIG_FLAGS_HELP, integerFlag, parseCommand, stringFlag } from './args.js';
import { withContext } from './context.js';
import { EXIT, printJson, printLines, printTable, shortTime } from './output.js';
import { resolveUser } from './user.js';

const USAGE = `Usage: tessera audit [--user <id|email>] [--limit N] [--before SEQ] [--json]

Prints the audit log, newest first: sign-ins and their failures, sign-outs, ended sessions,
refresh-token reuse, password changes, key rotations, administration.

  --user <id|email>    only this account's entries (default: everyone's)
  --limit N            entries per page (default 50, 1 to 1000)
  --before SEQ         entries older than SEQ (the "next" of the previous page)
  --json               print {"entries":[{seq, at, type, userId, sessionId, ip, detail}],"next":SEQ|null}

${CONFIG_FLAGS_HELP}`;

/** `tessera audit`. */
export async function runAudit(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    name: 'audit', usage: USAGE, config: true,
    options: { user: { type: 'string' }, limit: { type: 'string' }, before: { type: 'string' } },
  });
  if (!parsed) return EXIT.ok;
  const limit = integerFlag(parsed.values, 'limit', 1, 1000);
  const beforeSeq = integerFlag(parsed.values, 'before', 1, Number.MAX_SAFE_INTEGER);
  const userRef = stringFlag(parsed.values, 'user');
  return withContext(parsed.configArgv, async (ctx) => {
    // An account deleted since keeps its entries under its id: look the id up only by email.
    const userId = userRef === undefined ? undefined
      : userRef.includes('@') ? (await resolveUser(ctx.store, userRef)).id : userRef;
    const auth = await ctx.auth();
    const page = await auth.listAudit({
      ...(userId === undefined ? {} : { userId }),
      ...(beforeSeq === undefined ? {} : { beforeSeq }),
      ...(limit === undefined ? {} : { limit }),
    });
    if (parsed.json) printJson(page);
    else {
      printTable<PublicAuditEntry>(page.entries, [
        { header: 'SEQ', value: (e) => String(e.seq), right: true },
        { header: 'AT', value: (e) => shortTime(e.at) },
        { header: 'TYPE', value: (e) => e.type },
        { header: 'USER', value: (e) => e.userId ?? '-' },
        { header: 'SESSION', value: (e) => e.sessionId ?? '-' },
        { header: 'IP', value: (e) => e.ip ?? '-' },
        { header: 'DETAIL', value: (e) => e.detail ?? '' },
      ], '(no entries)');
      if (page.next !== null) printLines(`more: tessera audit --before ${page.next}${userRef === undefined ? '' : ` --user ${userRef}`}`);
    }
    return EXIT.ok;
  });
}

/**
 * `tessera mail list`: the development outbox, where the server keeps account mail when no
 * SMTP server is configured (`TESSERA_SMTP_URL` unset). Reads the store's outbox directly,
 * newest first; with `--full`, the plain-text bodies too (they hold working links: this is
 * for development).
 */
import type { OutboxMail } from 'tessera';
import { CONFIG_FLAGS_HELP, integerFlag, parseCommand } from './args.js';
import { withContext } from './context.js';
import { EXIT, isoTime, printJson, printLines, printTable, shortTime } from './output.js';
import { runSubcommand } from './subcommands.js';

const GROUP_USAGE = `Usage: tessera mail <command> [options]

Commands:
  list [--limit N] [--full]      the development outbox, newest first

The outbox holds the mail of a server without TESSERA_SMTP_URL (verification, password reset,
email change links). Every command takes --json and the configuration flags.`;

const LIST_USAGE = `Usage: tessera mail list [--limit N] [--full] [--json]

Prints the development outbox, newest first: mail the server kept instead of sending it,
because no SMTP server is configured (TESSERA_SMTP_URL). Development only: the messages hold
working links.

  --limit N            messages to show (default 20, 1 to 1000)
  --full               also print each message's plain-text body
  --json               print {"mail":[{seq, at, to, subject, text, html}]}

${CONFIG_FLAGS_HELP}`;

async function runList(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    name: 'mail list', usage: LIST_USAGE, config: true,
    options: { limit: { type: 'string' }, full: { type: 'boolean' } },
  });
  if (!parsed) return EXIT.ok;
  const limit = integerFlag(parsed.values, 'limit', 1, 1000) ?? 20;
  return withContext(parsed.configArgv, async (ctx) => {
    if (ctx.config.smtpUrl !== undefined) process.stderr.write('tessera: note: TESSERA_SMTP_URL is set, so the server sends mail; the outbox only holds mail from before.\n');
    const mail = await ctx.store.listOutboxMail({ limit });
    if (parsed.json) {
      printJson({ mail: mail.map((m) => ({ seq: m.seq, at: isoTime(m.at), to: m.to, subject: m.subject, text: m.text, html: m.html })) });
    } else if (parsed.values.full === true) {
      if (mail.length === 0) printLines('(no mail)');
      for (const m of mail) printLines(`#${m.seq} ${shortTime(isoTime(m.at))} to ${m.to}`, `Subject: ${m.subject}`, '', m.text, '', '-'.repeat(72));
    } else {
      printTable<OutboxMail>(mail, [
        { header: 'SEQ', value: (m) => String(m.seq), right: true },
        { header: 'AT', value: (m) => shortTime(isoTime(m.at)) },
        { header: 'TO', value: (m) => m.to },
        { header: 'SUBJECT', value: (m) => m.subject },
      ], '(no mail)');
    }
    return EXIT.ok;
  });
}

/** `tessera mail <command>`. */
export async function runMail(argv: string[]): Promise<number> {
  return runSubcommand('mail', argv, GROUP_USAGE, { list: runList });
}

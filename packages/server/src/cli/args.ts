/**
 * Argument parsing shared by every command: `node:util` parseArgs in strict mode, `--help`
 * and `--json` everywhere, and the configuration flags of `tessera serve` (`--data-dir`,
 * `--database-url`, `--redis-url`, `--issuer`) on every command that opens the store. A bad
 * flag is a usage error (exit 2) that names the flag, never the value given to it.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { usageError } from './output.js';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** The configuration flags every store-backed command accepts (same as `tessera serve`). */
export const CONFIG_FLAGS = ['data-dir', 'database-url', 'redis-url', 'issuer'] as const;

/** The help lines of {@link CONFIG_FLAGS}, for usage texts. */
export const CONFIG_FLAGS_HELP = `Configuration (as for "tessera serve"; flags override TESSERA_* variables):
  --data-dir DIR        SQLite directory (TESSERA_DATA_DIR, default ./data)
  --database-url URL    PostgreSQL instead of SQLite (TESSERA_DATABASE_URL)
  --redis-url URL       Redis for sessions (TESSERA_REDIS_URL)
  --issuer URL          issuer of access tokens (TESSERA_ISSUER)`;

/** What a command accepts. */
export interface CommandSpec {
  /** The command as typed after `tessera` (`user create`), for error messages. */
  name: string;
  /** The full `--help` text. */
  usage: string;
  /** The command's own flags (`--json` and `--help` are added). */
  options?: OptionSpecs;
  /** Names of the positional arguments, in order (all required unless `optionalPositionals`). */
  positionals?: readonly string[];
  /** How many of the trailing positionals may be left out. */
  optionalPositionals?: number;
  /** Accepts the configuration flags (the command opens the store). */
  config?: boolean;
}

/** A parsed command line. */
export interface ParsedCommand {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
  /** The configuration flags given, as an argv for `loadConfig`. */
  configArgv: string[];
}

/** True when argv asks for help (before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * Parses `argv` against `spec`. Returns null after printing the usage when `--help` was asked
 * for; throws a usage error (exit 2) for an unknown flag, a missing value or a wrong number of
 * arguments.
 */
export function parseCommand(argv: readonly string[], spec: CommandSpec): ParsedCommand | null {
  if (wantsHelp(argv)) {
    process.stdout.write(`${spec.usage}\n`);
    return null;
  }
  const options: OptionSpecs = {
    ...spec.options,
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...(spec.config ? Object.fromEntries(CONFIG_FLAGS.map((f) => [f, { type: 'string' as const }])) : {}),
  };
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: idsAsArguments(argv, options), options, strict: true, allowPositionals: true });
  } catch (error) {
    throw usageError(`${flagProblem(error)} (see "tessera ${spec.name} --help")`);
  }
  const names = spec.positionals ?? [];
  const min = names.length - (spec.optionalPositionals ?? 0);
  if (parsed.positionals.length < min) {
    throw usageError(`missing argument <${names[parsed.positionals.length]}> (see "tessera ${spec.name} --help")`);
  }
  if (parsed.positionals.length > names.length) {
    // Not echoed: a stray argument may be a password typed where it does not belong.
    throw usageError(`too many arguments: ${spec.name} takes ${names.length === 0 ? 'none' : names.map((n) => `<${n}>`).join(' ')} (see "tessera ${spec.name} --help")`);
  }
  const configArgv: string[] = [];
  if (spec.config) {
    for (const flag of CONFIG_FLAGS) {
      const value = parsed.values[flag];
      if (typeof value === 'string') configArgv.push(`--${flag}`, value);
    }
  }
  return {
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
    json: parsed.values.json === true,
    configArgv,
  };
}

/**
 * The shape of Tessera's identifiers: user and session ids (22 base64url characters), kids
 * (22, or 43 for a key thumbprint). Base64url includes "-", so one in 32 begins with it.
 */
const ID_STARTING_WITH_DASH = /^-[A-Za-z0-9_-]{21}(?:[A-Za-z0-9_-]{21})?$/;

/** A negative number given to a flag (`--limit -1`): a value out of range, not a missing one. */
const NEGATIVE_NUMBER = /^-[0-9]+(?:\.[0-9]+)?$/;

/**
 * Lets identifiers that begin with "-" be passed as arguments and flag values, as parseArgs
 * would otherwise read them as (unknown) flags: `tessera user enable -x1…` and
 * `--after -x1…` work as written. Only the exact shape of an id is concerned, and never a
 * declared flag; `--` keeps its usual meaning. A negative number after a flag that takes a
 * value is that flag's value too, so that `--limit -1` is told its range.
 */
function idsAsArguments(argv: readonly string[], options: OptionSpecs): string[] {
  const declared = (arg: string) => arg.startsWith('--') && Object.hasOwn(options, arg.slice(2));
  const out: string[] = [];
  const trailing: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      trailing.push(...argv.slice(i + 1));
      break;
    }
    const next = argv[i + 1];
    if (declared(arg) && options[arg.slice(2)]!.type === 'string' && next !== undefined && (ID_STARTING_WITH_DASH.test(next) || NEGATIVE_NUMBER.test(next))) {
      out.push(`${arg}=${next}`);
      i++;
    } else if (ID_STARTING_WITH_DASH.test(arg) && !declared(arg)) {
      trailing.push(arg);
    } else {
      out.push(arg);
    }
  }
  return trailing.length > 0 ? [...out, '--', ...trailing] : out;
}

/** What was wrong with the flags, naming the flag only (a value may be a secret). */
function flagProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : '';
  const flag = /'(--?[A-Za-z0-9-]+)/.exec(message)?.[1] ?? 'flag';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${flag}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return message.includes('does not take') ? `flag ${flag} takes no value` : `flag ${flag} needs a value`;
  }
  return 'could not read the command line';
}

function shorten(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Reads an integer flag (`--limit 10`), checking its range; undefined when absent. */
export function integerFlag(values: ParsedCommand['values'], name: string, min: number, max: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const n = /^[0-9]{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`--${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(shorten(text))}`);
  }
  return n;
}

/** Reads a string flag; undefined when absent. */
export function stringFlag(values: ParsedCommand['values'], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

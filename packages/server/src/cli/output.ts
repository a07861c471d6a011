/**
 * What the CLI prints and how it exits. Results go to stdout, as aligned plain-text tables or
 * (with `--json`) as one JSON document; errors go to stderr, one line, without a stack trace
 * unless `TESSERA_DEBUG=1`. Nothing here ever prints a private key, a password hash or a
 * credential the user did not pass in.
 */
import type { ErrorCode } from 'tessera';
import { ConfigError } from '../config.js';

/** The documented exit codes (docs/cli.md). */
export const EXIT = Object.freeze({
  /** Done. */
  ok: 0,
  /** Runtime failure: the store is unreachable, a rotation lease is held elsewhere… */
  failure: 1,
  /** Usage or configuration error (unknown flag, bad value, input the library refuses). */
  usage: 2,
  /** Not found: unknown user, session or key. */
  notFound: 3,
  /** Verification failed: `token verify` refused the token. */
  refused: 4,
});

/** An exit code of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line with a chosen exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A usage error (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(EXIT.usage, message);
}

/** A not-found error (exit 3). */
export function notFound(message: string): CliError {
  return new CliError(EXIT.notFound, message);
}

/**
 * True for a `TesseraError`. Recognised by name and code rather than `instanceof`, so that
 * printing a usage error does not load the whole library (`--help` stays fast).
 */
function isTesseraError(error: unknown): error is Error & { code: ErrorCode } {
  return error instanceof Error && error.name === 'TesseraError' && typeof (error as { code?: unknown }).code === 'string';
}

/**
 * The exit code and message of any error. Tessera's input refusals (a malformed email, a weak
 * password, an email already taken) are the caller's to fix: exit 2, like a bad flag.
 */
export function describeError(error: unknown): { exitCode: ExitCode; message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message };
  if (error instanceof ConfigError) return { exitCode: EXIT.usage, message: error.message };
  if (isTesseraError(error)) {
    const usage = error.code === 'invalid_request' || error.code === 'weak_password' || error.code === 'email_taken';
    if (error.code === 'not_found') return { exitCode: EXIT.notFound, message: error.message };
    const detail = usage ? '' : causeMessage(error);
    return { exitCode: usage ? EXIT.usage : EXIT.failure, message: `${error.message}${detail}` };
  }
  return { exitCode: EXIT.failure, message: error instanceof Error ? error.message : String(error) };
}

/** " (cause)" for an `unavailable` whose cause says what could not be reached; never input. */
function causeMessage(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error && cause.message !== '' ? ` (${cause.message})` : '';
}

/** Writes an error to stderr: text, or with `--json` a `{"error":{…}}` line. Returns its exit code. */
export function reportError(error: unknown, json: boolean): ExitCode {
  const { exitCode, message } = describeError(error);
  if (json) process.stderr.write(`${JSON.stringify({ error: { exitCode, message } })}\n`);
  else process.stderr.write(`tessera: ${message}\n`);
  if (process.env.TESSERA_DEBUG === '1' && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return exitCode;
}

/** Prints a JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints lines of text to stdout. */
export function printLines(...lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** One column of a table: its heading and how to show a row's cell. */
export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Right-aligned (numbers). */
  right?: boolean;
}

/** Formats rows as an aligned plain-text table (two spaces between columns), or `empty`. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values.map((v, i) => (columns[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** Prints a table to stdout. */
export function printTable<T>(rows: readonly T[], columns: readonly Column<T>[], empty?: string): void {
  printLines(formatTable(rows, columns, empty));
}

/** An ISO 8601 time in milliseconds since the epoch, or "-" for none. */
export function isoTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString();
}

/** A short human time: ISO without milliseconds ("2025-01-02 03:04:05Z"), or "-". */
export function shortTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '-';
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** "in 5m", "3h ago": a duration relative to now, for human output only. */
export function relativeTime(ms: number, nowMs: number): string {
  const delta = ms - nowMs;
  const abs = Math.abs(delta);
  const units: Array<[number, string]> = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  const [size, unit] = units.find(([u]) => abs >= u) ?? [1000, 's'];
  const n = Math.floor(abs / size);
  return delta >= 0 ? `in ${n}${unit}` : `${n}${unit} ago`;
}

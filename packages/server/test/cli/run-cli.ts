/**
 * Runs the real, built `tessera` binary (`dist/cli.js`, after `npm run build`) as a child
 * process, the way a user does: `process.execPath dist/cli.js …`, with a clean environment
 * (only PATH, a temp TESSERA_DATA_DIR and TESSERA_LOG_LEVEL=silent, plus what a test adds),
 * optional stdin, and a deadline.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createArgon2Hasher, createTessera } from 'tessera';
import type { Tessera } from 'tessera';
import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite';
import { loadConfig } from '../../src/config.js';
import { createServerMail } from '../../src/mail.js';
import { tesseraOptionsFrom } from '../../src/tessera-options.js';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** A password that passes the default policy. */
export const PASSWORD = 'correct horse battery staple';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Extra environment (wins over the defaults). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed; stdin is empty otherwise. */
  input?: string;
  timeoutMs?: number;
}

/** Runs `tessera <args>` against `dataDir`. */
export function runCli(dataDir: string, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run "npm run build" first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      env: { PATH: process.env.PATH ?? '', TESSERA_DATA_DIR: dataDir, TESSERA_LOG_LEVEL: 'silent', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {}); // the child may exit before reading it all
    child.stdin.end(options.input ?? '');
  });
}

/** Parses stdout as JSON, failing with the whole output when it is not. */
export function json<T = any>(result: CliResult): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** A fresh data dir, and its removal. */
export function makeDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The library in the test process, on the CLI's SQLite file, configured as the CLI and the
 * server are (same issuer and audience defaults): to sign in and get real credentials.
 */
export async function openLibrary(dataDir: string): Promise<{ auth: Tessera; close(): Promise<void> }> {
  const config = loadConfig([], { TESSERA_DATA_DIR: dataDir });
  const store = createSqliteStore(openSqliteDatabase(join(dataDir, 'tessera.db')));
  await store.migrate();
  const auth = await createTessera({ ...tesseraOptionsFrom(config, store, undefined, createServerMail(config, store).mailer), passwordHasher: createArgon2Hasher({ memoryKiB: 1024, timeCost: 1 }) });
  return {
    auth,
    async close() {
      await auth.close();
      await store.close();
    },
  };
}

/** Creates a user through the CLI (password on stdin) and returns its id. */
export async function createUser(dataDir: string, email: string): Promise<string> {
  const r = await runCli(dataDir, ['user', 'create', '--email', email, '--password-stdin', '--json'], { input: `${PASSWORD}\n` });
  if (r.code !== 0) throw new Error(`user create failed (${r.code}): ${r.stderr}`);
  return json<{ user: { id: string } }>(r).user.id;
}

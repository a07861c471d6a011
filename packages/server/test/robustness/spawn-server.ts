import { rawRequest as sendRaw } from '../helpers/raw-socket.js';
/**
 * Child-process servers for the robustness tests: the built CLI (`dist/cli.js serve`) run
 * with `process.execPath`, on a free port, with its stdout and stderr captured. Every child
 * is tracked by PID; `stopAllServers()` (call it in `after`) and a process `exit` hook make
 * sure none survives the test file. Readiness is polled on `/healthz` against a deadline,
 * never waited for with a blind sleep.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI. The tests need `npm run build` first. */
export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** How long a child may take to answer `/healthz` (real argon2, cold SQLite, slow CI). */
const START_DEADLINE_MS = 20_000;
/** How long a child may take to exit after a signal before it is SIGKILLed. */
const STOP_DEADLINE_MS = 10_000;

export interface SpawnOptions {
  /** Data dir to reuse (durability); a fresh temp dir otherwise, removed by `removeDataDir`. */
  dataDir?: string;
  /** A fixed port (restart on the same port); a free one otherwise. */
  port?: number;
  /** Extra environment (wins over the defaults below). */
  env?: Record<string, string>;
  /** `TESSERA_LOG_LEVEL`; default `silent`. */
  logLevel?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedServer {
  readonly pid: number;
  readonly port: number;
  readonly baseUrl: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the child wrote to stdout so far. */
  stdout(): string;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** True until the child has exited. */
  alive(): boolean;
  /** Resolves when the child has exited. */
  readonly exited: Promise<ExitInfo>;
  /** Sends a signal to the child's PID (no-op once it has exited). */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after a deadline; resolves with how it exited. */
  stop(): Promise<ExitInfo>;
  /** `fetch` relative to the base URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

const children = new Map<number, SpawnedServer>();
const ownedDirs = new Set<string>();

// Last line of defence: a test runner that exits (even on an uncaught error) takes its
// children along. Synchronous: only kill() is possible here.
process.on('exit', () => {
  for (const [pid, s] of children) {
    if (s.alive()) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
});

/** A TCP port that was free a moment ago (listen(0) on the loopback, then closed). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh temp dir for a server's data, removed by {@link removeDataDirs}. */
export function makeDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-robust-'));
  ownedDirs.add(dir);
  return dir;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `GET /healthz` until 200, the child exits, or the deadline passes. */
async function waitHealthy(s: SpawnedServer, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!s.alive()) {
      throw new Error(`server exited before it was healthy (port ${s.port})\nstderr:\n${s.stderr()}\nstdout:\n${s.stdout().slice(-4000)}`);
    }
    try {
      const res = await fetch(`${s.baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastError = `status ${res.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await delay(50);
  }
  throw new Error(`server on port ${s.port} not healthy after ${deadlineMs} ms (${lastError})\nstderr:\n${s.stderr()}`);
}

function launch(port: number, dataDir: string, options: SpawnOptions): SpawnedServer {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run "npm run build" first`);
  const child = spawn(process.execPath, [CLI_PATH, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      TESSERA_DATA_DIR: dataDir,
      TESSERA_LOG_LEVEL: options.logLevel ?? 'silent',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('spawn failed: no pid');
  const pid = child.pid;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const s: SpawnedServer = {
    pid,
    port,
    baseUrl,
    dataDir,
    child,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    alive: () => exitInfo === undefined,
    exited,
    signal(sig) {
      if (exitInfo !== undefined) return;
      try { process.kill(pid, sig); } catch { /* exited meanwhile */ }
    },
    async stop() {
      if (exitInfo !== undefined) return exitInfo;
      s.signal('SIGTERM');
      const timer = setTimeout(() => s.signal('SIGKILL'), STOP_DEADLINE_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    fetch: (path, init) => fetch(`${baseUrl}${path}`, init),
  };
  children.set(pid, s);
  return s;
}

/**
 * Starts `tessera serve` as a child process and waits until `/healthz` answers 200. On a
 * chosen free port that another process grabbed meanwhile, retries on a new one.
 */
export async function spawnServer(options: SpawnOptions = {}): Promise<SpawnedServer> {
  const dataDir = options.dataDir ?? makeDataDir();
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = options.port ?? (await freePort());
    const s = launch(port, dataDir, options);
    try {
      await waitHealthy(s, START_DEADLINE_MS);
      return s;
    } catch (error) {
      lastError = error;
      await s.stop();
      if (!s.stderr().includes('EADDRINUSE')) break;
    }
  }
  throw lastError;
}

/** Stops every child still running (SIGTERM, then SIGKILL) and waits for each to exit. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...children.values()].map((s) => s.stop()));
}

/** PIDs of children that have not exited (should be empty after {@link stopAllServers}). */
export function livePids(): number[] {
  return [...children.values()].filter((s) => s.alive()).map((s) => s.pid);
}

/** True while a process with this PID exists (signal 0 probes without killing). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temp data dirs made by {@link makeDataDir}. */
export function removeDataDirs(): void {
  for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
  ownedDirs.clear();
}

/** The `name=value` part of each `Set-Cookie` of a fetch response. */
export function fetchCookies(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    out[pair!.slice(0, eq)] = pair!.slice(eq + 1);
  }
  return out;
}

/** POST JSON to a spawned server. */
export function postJson(s: SpawnedServer, path: string, payload: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return s.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
}

/** {@link sendRaw} with the 2 s idle time real-process tests need. */
export function rawRequest(port: number, data: string | Buffer, idleMs = 2000): Promise<string> {
  return sendRaw(port, data, idleMs);
}

/** The status codes of every HTTP response in a raw byte stream, in order. */
export function rawStatuses(raw: string): number[] {
  return [...raw.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));
}

/**
 * For `after`: stops every child, removes the temp data dirs (whatever happens), then fails
 * if any child spawned by this file is still running or its PID still exists.
 */
export async function cleanUpServers(): Promise<void> {
  try {
    await stopAllServers();
  } finally {
    removeDataDirs();
  }
  const survivors = [...children.keys()].filter((pid) => children.get(pid)!.alive() || pidExists(pid));
  if (survivors.length > 0) throw new Error(`child servers survived: ${survivors.join(', ')}`);
}

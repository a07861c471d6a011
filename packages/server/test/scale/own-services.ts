/**
 * Throwaway services for the outage tests, so that nothing ever stops, pauses or flushes the
 * shared Redis (6379) or PostgreSQL (5432): a redis-server and a PostgreSQL cluster of their
 * own, on free loopback ports, in temp dirs. Each process is tracked by PID, stopped by PID
 * (`stop()`, and synchronously on process exit), and its dir removed.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from '../robustness/spawn-server.js';

const run = promisify(execFile);
/** PIDs to kill and dirs to remove should the test process exit before `stop()`. */
const livePids = new Map<number, NodeJS.Signals>();
const dirs = new Set<string>();
process.on('exit', () => {
  for (const [pid, signal] of livePids) {
    try { process.kill(pid, 'SIGCONT'); process.kill(pid, signal); } catch { /* gone */ }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms`);
}

// Redis ---------------------------------------------------------------------------------------

export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  /** PID of the current redis-server process. */
  pid(): number;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** `kill -STOP` / `kill -CONT` by PID. */
  pause(): void;
  resume(): void;
  /** Starts a fresh (empty) redis-server on the same port. */
  restart(): Promise<void>;
  flushAll(): Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL) and removes its dir. */
  stop(): Promise<void>;
}

/** Starts a non-persistent redis-server of this test's own on a free port. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-scale-redis-'));
  dirs.add(dir);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const launch = async (): Promise<void> => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, 'redis.log')], { stdio: 'ignore' });
    if (c.pid === undefined) throw new Error('redis-server did not start (is it installed?)');
    child = c;
    livePids.set(c.pid, 'SIGKILL');
    exited = new Promise((resolve) => c.once('exit', () => {
      livePids.delete(c.pid!);
      resolve();
    }));
    await waitFor(async () => {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    }, 10_000, `redis-server on ${port}`);
  };
  await launch();
  const signal = (sig: NodeJS.Signals): void => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, sig);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => child!.pid!,
    async kill() {
      signal('SIGKILL');
      await exited;
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    restart: launch,
    async flushAll() {
      const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      try {
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
    async stop() {
      signal('SIGCONT');
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}

// PostgreSQL ----------------------------------------------------------------------------------

export interface OwnPostgres {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  /** `pg_ctl stop -m immediate` (a crash, as far as clients can tell). */
  stopServer(): Promise<void>;
  /** `pg_ctl start` on the same port and data dir. */
  startServer(): Promise<void>;
  /** `kill -STOP` the postmaster and every backend (a hung database); `resume()` sends SIGCONT. */
  pause(): void;
  resume(): void;
  /** Stops the server and removes its dir. */
  stop(): Promise<void>;
}

/** The PostgreSQL binaries (initdb, pg_ctl), e.g. /usr/lib/postgresql/15/bin; undefined if none. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/**
 * Creates and starts a PostgreSQL cluster of this test's own. initdb refuses to run as root:
 * as root, the binaries run as the `postgres` user (runuser) in a dir it owns.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-scale-pg-'));
  dirs.add(dir);
  const asRoot = process.getuid?.() === 0;
  const as = (tool: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]);
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  await run(...as('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync', '--no-instructions']), { timeout: 60_000 });
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const pidFile = join(data, 'postmaster.pid');
  const postmasterPid = (): number | undefined => {
    try {
      return Number(readFileSync(pidFile, 'utf8').split('\n', 1)[0]);
    } catch {
      return undefined;
    }
  };
  const startServer = async (): Promise<void> => {
    await run(...as('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']), { timeout: 40_000 });
    const pid = postmasterPid();
    // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster takes its backends along.
    if (pid) livePids.set(pid, 'SIGQUIT');
    await waitFor(async () => {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      try {
        await c.connect();
        await c.query('SELECT 1');
        return true;
      } finally {
        await c.end().catch(() => {});
      }
    }, 10_000, `PostgreSQL on ${port}`);
  };
  const stopServer = async (): Promise<void> => {
    const pid = postmasterPid();
    await run(...as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']), { timeout: 30_000 }).catch(() => {
      if (pid) try { process.kill(pid, 'SIGQUIT'); } catch { /* gone */ }
    });
    if (pid) livePids.delete(pid);
  };
  let paused: number[] = [];
  await startServer();
  return {
    port,
    url,
    stopServer,
    startServer,
    pause() {
      const pid = postmasterPid();
      if (!pid) throw new Error('PostgreSQL is not running');
      const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).toString().split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
      paused = [pid, ...children];
      // Should the test die meanwhile, the exit hook continues them, then kills them.
      for (const p of children) livePids.set(p, 'SIGKILL');
      for (const p of paused) process.kill(p, 'SIGSTOP');
    },
    resume() {
      for (const p of paused) {
        try { process.kill(p, 'SIGCONT'); } catch { /* gone */ }
        if (p !== postmasterPid()) livePids.delete(p);
      }
      paused = [];
    },
    async stop() {
      if (existsSync(pidFile)) await stopServer();
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}

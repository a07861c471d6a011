import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { once } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { createRedisClient } from '../../src/stores/redis.js';

// Throwaway redis-server processes for tests: a standalone server, or a Redis Cluster of N
// masters, on free loopback ports, with no persistence, in a temporary directory. Every process
// is tracked by PID and stopped by PID: by stop(), and, should a test file die first, on exit
// and on SIGINT/SIGTERM. Nothing here touches any other Redis (e.g. the shared one on 6379).

const run = promisify(execFile);

const BUS_PORT_OFFSET = 10_000;
const STARTUP_TIMEOUT_MS = 10_000;
const CLUSTER_TIMEOUT_MS = 30_000;

/** Live children by PID. */
const children = new Map<number, ChildProcess>();
/** Temporary directories of running clusters. */
const clusterDirs = new Set<string>();

function killAllSync(): void {
  for (const pid of children.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const dir of clusterDirs) rmSync(dir, { recursive: true, force: true });
  clusterDirs.clear();
}

let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const handler = (): void => {
      killAllSync();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal); // the default action, now that the children are gone
    };
    process.on(signal, handler);
  }
}

/** A probe for `requireService`: rejects unless `redis-server` and `redis-cli` can be run. */
export async function redisBinariesProbe(): Promise<void> {
  await run('redis-server', ['--version']);
  await run('redis-cli', ['--version']);
}

/** Resolves with a TCP port that was free on 127.0.0.1 a moment ago. */
function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await ephemeralPort();
    if (port + BUS_PORT_OFFSET <= 65_535 && (await isFree(port + BUS_PORT_OFFSET))) return port;
  }
}

async function redisCli(port: number, password: string | undefined, ...args: string[]): Promise<string> {
  const auth = password === undefined ? [] : ['-a', password, '--no-auth-warning'];
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...auth, ...args], { timeout: 5000 });
  return stdout;
}

/** A standalone redis-server of a test's own, a ready client of it, and `stop` for the three (client, server, its dir). */
export interface StandaloneRedis {
  readonly server: RedisServerHandle;
  readonly client: Redis;
  stop(): Promise<void>;
}

/** Starts a standalone redis-server in a temp dir and connects a client with the library's defaults (createRedisClient). */
export async function startStandaloneRedis(): Promise<StandaloneRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-redis-'));
  let server: RedisServerHandle;
  try {
    server = await startRedisServer(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const client = createRedisClient(`redis://127.0.0.1:${server.port}`);
  client.on('error', () => {});
  const stop = async (): Promise<void> => {
    client.disconnect();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await once(client, 'ready');
  } catch (error) {
    await stop();
    throw error;
  }
  return { server, client, stop };
}

/** One redis-server process. */
export interface RedisServerHandle {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly pid: number;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts redis-server on a free port, its files (log, cluster config) in `dir`. Resolves once it
 * answers PING. With `password`, every client (and every cluster peer) must AUTH with it.
 */
export async function startRedisServer(dir: string, options: { cluster?: boolean; password?: string } = {}): Promise<RedisServerHandle> {
  installExitHandlers();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--logfile', join(dir, `redis-${port}.log`),
    ];
    if (options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`));
    if (options.password !== undefined) args.push('--requirepass', options.password, '--masterauth', options.password);
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    const pid = child.pid;
    if (pid === undefined) {
      lastError = await new Promise((resolve) => child.once('error', resolve));
      continue;
    }
    children.set(pid, child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const handle: RedisServerHandle = {
      host: '127.0.0.1',
      port,
      pid,
      async stop() {
        if (!children.has(pid)) return;
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 5000);
        await exited;
        clearTimeout(timer);
        children.delete(pid);
      },
    };
    try {
      await waitUntil(async () => (await redisCli(port, options.password, 'PING')).trim() === 'PONG', STARTUP_TIMEOUT_MS, () => child.exitCode !== null);
      return handle;
    } catch (error) {
      const log = await readFile(join(dir, `redis-${port}.log`), 'utf8').catch(() => '');
      lastError = new Error(`redis-server on port ${port} did not start: ${String(error)}\n${log.slice(-2000)}`);
      await handle.stop();
    }
  }
  throw lastError;
}

/** A Redis Cluster of masters without replicas. */
export interface RedisClusterHandle {
  readonly servers: readonly RedisServerHandle[];
  /** Startup nodes for `new Cluster(nodes)`. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  readonly dir: string;
  /** Stops every process by PID and removes the directory. */
  stop(): Promise<void>;
}

/**
 * Starts `masters` cluster-enabled redis-server processes, joins them with
 * `redis-cli --cluster create`, and resolves once every node reports `cluster_state:ok`
 * with all 16384 slots served and every node known. With `password`, every node requires it.
 */
export async function startRedisCluster(masters = 3, options: { password?: string } = {}): Promise<RedisClusterHandle> {
  installExitHandlers();
  const dir = await mkdtemp(join(tmpdir(), 'tessera-redis-cluster-'));
  clusterDirs.add(dir);
  const servers: RedisServerHandle[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
    clusterDirs.delete(dir);
  };
  try {
    for (let i = 0; i < masters; i++) servers.push(await startRedisServer(dir, { cluster: true, ...options }));
    const auth = options.password === undefined ? [] : ['-a', options.password, '--no-auth-warning'];
    await run('redis-cli', [
      ...auth, '--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes',
    ], { timeout: CLUSTER_TIMEOUT_MS });
    await waitUntil(async () => {
      for (const s of servers) {
        const info = await redisCli(s.port, options.password, 'CLUSTER', 'INFO');
        const ok = info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384') &&
          info.includes(`cluster_known_nodes:${masters}`);
        if (!ok) return false;
      }
      return true;
    }, CLUSTER_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return { servers, nodes: servers.map((s) => ({ host: s.host, port: s.port })), dir, stop };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, gaveUp: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (gaveUp()) throw new Error('the process exited');
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms${lastError ? ` (${String(lastError)})` : ''}`);
}

/** Escapes the glob characters of SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Every key starting with `prefix` (on every master of a Cluster). */
export async function keysWithPrefix(client: Redis | Cluster, prefix: string): Promise<string[]> {
  const nodes: Redis[] = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

/** Deletes the keys starting with `prefix` and no other (one by one: keys of a Cluster span slots). */
export async function deleteKeysWithPrefix(client: Redis | Cluster, prefix: string): Promise<number> {
  const keys = await keysWithPrefix(client, prefix);
  await Promise.all(keys.map((key) => client.del(key)));
  return keys.length;
}

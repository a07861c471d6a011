import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CALLGRIND_HOST, callgrindNode, countRounds as countCallgrindRounds } from './lib/callgrind.js';
import { symbolizeCallgrind } from './lib/callgrind-symbols.js';
import { firstJsonLine, startChild } from './lib/children.js';
import { median } from './lib/timing.js';
import { credentialsOf, sameBytesAs } from './http/scenarios.js';
import { REDIS_URL, RUN_PREFIX, deleteRedisKeysAt } from './micro/stores.js';
import { minterFor, nodeCommand, signInBoth, startTessera, startTesseraLibrary } from './http/tessera.js';
import type { TesseraServer } from './http/tessera.js';
import { ARGON2_WORKER_IDLE_MS } from '../packages/tessera/src/password/argon2-workers.js';

/**
 * `npm run bench:instructions`: CPU instructions per `GET /auth/me`, counted by valgrind's
 * callgrind in the server process (user space only: the kernel's share of a request, the same
 * for every row, is not counted). Unlike req/s on a noisy 2-core machine, a count is the same
 * from run to run for the same build and inputs, except for the garbage collections and JIT
 * work that fall inside a round; so each row is counted in several rounds of the same requests,
 * and the lowest round (the one a major GC missed) is the figure to compare. Use it to tell
 * whether a change to the request path does less work (run it in each checkout, or pass
 * `--cli` for another build of `tessera serve`); `npm run bench` stays the measure of speed.
 *
 *   npm run bench:instructions -- [--rows bare,tessera-jwt-seen,…] [--requests 4000] [--rounds 7] [--warmup 15000] [--cli path/to/cli.js] [--out file.json] [--profile DIR]
 *
 * `--profile DIR` also keeps, per row, the lowest round's dump with the JIT-compiled
 * functions named (DIR/<row>.callgrind, from node's --perf-basic-prof map) and
 * callgrind_annotate's inclusive view of it (DIR/<row>.txt): where the instructions went.
 *
 * Servers run under valgrind with `node --single-threaded` (no background GC or compiler
 * threads, whose work would land in a round at random), one at a time, loaded from this
 * process over 4 keep-alive connections.
 */

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    requests: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '15000' },
    cli: { type: 'string' },
    out: { type: 'string' },
    profile: { type: 'string' },
  },
});
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
if (!(requests >= 100 && rounds >= 1 && warmup >= 0)) {
  console.error('usage: npm run bench:instructions -- [--rows a,b] [--requests N ≥ 100] [--rounds N ≥ 1] [--warmup N] [--cli cli.js] [--out file.json]');
  process.exit(2);
}
if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('valgrind is not installed (Debian: apt-get install valgrind).');
  process.exit(2);
}

const SERVERS = fileURLToPath(new URL('./http/servers/', import.meta.url));
// The Redis rows' keys: under a prefix of this run, deleted at the end (never a flush).
const REDIS_PREFIX = `${RUN_PREFIX}instructions:`;

const work = mkdtempSync(join(tmpdir(), 'tessera-instructions-'));

/** A server under callgrind: where it listens, and its PID for callgrind_control. */
interface Counted {
  url: string;
  pid: number;
  outDir: string;
  stop(): Promise<void>;
  /** A Tessera server: its data directory holds the signing key (to mint never-seen tokens). */
  tessera?: TesseraServer;
}

const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });

const callgrind = (outDir: string): string[] => callgrindNode(outDir, profileDir !== undefined);

/** A peer server of the HTTP benchmarks (servers/*.ts) and the credential it hands out. */
async function startPeer(file: string, env: Record<string, string>): Promise<Counted & { headers: Record<string, string> }> {
  const outDir = mkdtempSync(join(work, 'cg-'));
  const child = startChild({ name: file, ...nodeCommand(callgrind(outDir), ['--import', 'tsx', join(SERVERS, file)]), env: { ...env, HOST: CALLGRIND_HOST }, core: 0 });
  try {
    const { port } = await firstJsonLine<{ port: number }>(child, 300_000);
    const url = `http://127.0.0.1:${port}`;
    return { url, pid: child.pid, outDir, stop: () => child.stop(), headers: await credentialsOf(url) };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

async function startCounted(kind: 'serve' | 'library', env: Record<string, string> = {}): Promise<Counted> {
  const outDir = mkdtempSync(join(work, 'cg-'));
  const options = { core: 0, node: callgrind(outDir), env: { ...env, HOST: CALLGRIND_HOST }, startTimeoutMs: 300_000 };
  const server = kind === 'serve' ? await startTessera({ ...options, cli: values.cli === undefined ? undefined : resolve(values.cli) }) : await startTesseraLibrary(options);
  return { url: server.url, pid: server.child.pid, outDir, stop: () => server.stop(), tessera: server };
}

/** The headers of each request: the same credential every time, or a fresh one (never-seen tokens). */
type Headers = Record<string, string> | (() => Record<string, string>);

/** `count` GETs over 4 keep-alive connections; anything but 200 fails the row. */
async function load(url: string, headers: Headers, count: number, agent: http.Agent): Promise<void> {
  let sent = 0;
  const one = (): Promise<void> => new Promise((done, fail) => {
    http.get(url, { headers: typeof headers === 'function' ? headers() : headers, agent }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 200 ? done() : fail(new Error(`${url} answered ${response.statusCode}`))));
    }).on('error', fail);
  });
  const worker = async (): Promise<void> => {
    while (sent < count) {
      sent++;
      await one();
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/** Instructions per request in each round: counters zeroed, `requests` sent, counters dumped. */
async function countRounds({ server, path, headers, hashWorkersGoneAt = 0 }: Target): Promise<{ perRequest: number[]; lowestDump: string }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
    // Waiting first, then warming up: V8 also collects garbage after an idle spell (its memory
    // reducer), which then lands in the warm-up, not in a round.
    await sleep(Math.max(0, hashWorkersGoneAt - Date.now()));
    await load(`${server.url}${path}`, headers, warmup, agent);
    const { counts, lowestDump } = await countCallgrindRounds(server.pid, server.outDir, rounds, requests, () => load(`${server.url}${path}`, headers, requests, agent));
    return { perRequest: counts, lowestDump };
  } finally {
    agent.destroy();
  }
}

/** A started server and what to load it with. */
interface Target {
  server: Counted;
  path: string;
  headers: Headers;
  /**
   * When the server's password-hashing workers, started by the sign-in of the setup, will have
   * exited (epoch ms): a worker's exit inside a round added up to 4,000 instructions per
   * request to it (tearing down its V8 isolate), so rounds start after it.
   */
  hashWorkersGoneAt?: number;
}

interface Row {
  id: string;
  label: string;
  setup(): Promise<Target>;
}

interface Reference {
  /** Tessera's /auth/me body, which the peers answer as their constant body (same bytes). */
  body: string;
  /** bare.ts's environment for the bytes of a bearer request to `tessera serve` (scenarios.ts). */
  sameBytesEnv: Record<string, string>;
}
let reference: Reference | undefined;
async function tesseraReference(): Promise<Reference> {
  if (reference !== undefined) return reference;
  const serve = await startTessera({});
  try {
    const { sessionCookie, accessToken } = await signInBoth(serve.url);
    const body = await (await fetch(`${serve.url}/auth/me`, { headers: { cookie: sessionCookie } })).text();
    reference = { body, sameBytesEnv: await sameBytesAs(`${serve.url}/auth/me`, accessToken) };
    return reference;
  } finally {
    await serve.stop();
  }
}
const tesseraBody = async (): Promise<string> => (await tesseraReference()).body;

async function tesseraRow(kind: 'serve' | 'library', credential: 'session' | 'jwt', path: string, env: Record<string, string> = {}): Promise<Target> {
  const server = await startCounted(kind, kind === 'library' ? { BENCH_BODY: await tesseraBody(), ...env } : env);
  const who = await signInBoth(server.url);
  const headers: Record<string, string> = credential === 'session' ? { cookie: who.sessionCookie } : { authorization: `Bearer ${who.accessToken}` };
  return { server, path, headers, hashWorkersGoneAt: afterHashWorkers() };
}

/** Called right after a sign-in: when its hashing worker will have exited, with 1 s to spare. */
const afterHashWorkers = (): number => Date.now() + ARGON2_WORKER_IDLE_MS + 1000;

/**
 * Never-seen tokens: `count` distinct valid ones minted with the server's key, one per request.
 * More than the 10,000 entries of the verified-token cache go by in the warm-up, so the rounds
 * see a full cache evicting, as in the HTTP benchmark.
 */
function freshTokens(tessera: TesseraServer, accessToken: string): () => Record<string, string> {
  const tokens = minterFor(tessera, accessToken).mint(warmup + rounds * requests);
  let next = 0;
  return () => ({ authorization: `Bearer ${tokens[next++ % tokens.length]!}` });
}

async function neverSeenRow(kind: 'serve' | 'library'): Promise<Target> {
  const server = await startCounted(kind, kind === 'library' ? { BENCH_BODY: await tesseraBody() } : {});
  return { server, path: '/auth/me', headers: freshTokens(server.tessera!, (await signInBoth(server.url)).accessToken), hashWorkersGoneAt: afterHashWorkers() };
}

/** The floor hook verifies tokens of a Tessera server's key: one started (uncounted) to mint them. */
async function floorRow(): Promise<Target> {
  const minting = await startTessera({});
  try {
    const { accessToken } = await signInBoth(minting.url);
    const { alg, publicJwk } = minterFor(minting, accessToken);
    const headers = freshTokens(minting, accessToken);
    const server = await startPeer('floor-hook.ts', { BENCH_BODY: await tesseraBody(), BENCH_ALG: alg, BENCH_PUBLIC_JWK: JSON.stringify(publicJwk) });
    return { server, path: '/auth/me', headers };
  } finally {
    await minting.stop();
  }
}

const ROWS: Row[] = [
  { id: 'bare', label: 'Bare Fastify (constant body)', setup: async () => {
    const server = await startPeer('bare.ts', { BENCH_BODY: await tesseraBody() });
    return { server, path: '/auth/me', headers: server.headers };
  } },
  { id: 'bare-same-bytes', label: 'Bare Fastify, the bytes of a Tessera token request (no auth work)', setup: async () => {
    const { body: tessera, sameBytesEnv } = await tesseraReference();
    const server = await startPeer('bare.ts', { BENCH_BODY: tessera, ...sameBytesEnv });
    return { server, path: '/auth/me', headers: server.headers };
  } },
  { id: 'sqlite-hook', label: 'Fastify hook, one better-sqlite3 SELECT', setup: async () => {
    const server = await startPeer('sqlite-hook.ts', { BENCH_BODY: await tesseraBody(), BENCH_SQLITE_PATH: join(work, 'hook.db') });
    return { server, path: '/auth/me', headers: server.headers };
  } },
  { id: 'redis-hook', label: 'Fastify hook, one Redis GET', setup: async () => {
    const server = await startPeer('redis-hook.ts', { BENCH_BODY: await tesseraBody(), BENCH_REDIS_URL: REDIS_URL, BENCH_REDIS_PREFIX: REDIS_PREFIX });
    return { server, path: '/auth/me', headers: server.headers };
  } },
  { id: 'tessera-session', label: 'Tessera, session cookie (SQLite)', setup: () => tesseraRow('serve', 'session', '/auth/me') },
  { id: 'tessera-jwt-seen', label: 'Tessera, EdDSA token seen before', setup: () => tesseraRow('serve', 'jwt', '/auth/me') },
  { id: 'tessera-jwt-seen-quiet', label: 'Tessera, EdDSA token seen before, TESSERA_ACCESS_LOG=false', setup: () => tesseraRow('serve', 'jwt', '/auth/me', { TESSERA_ACCESS_LOG: 'false' }) },
  { id: 'library-session', label: 'Tessera library: /auth/me, session cookie', setup: () => tesseraRow('library', 'session', '/auth/me') },
  { id: 'library-session-redis', label: 'Tessera library: /auth/me, session cookie (Redis)', setup: () => tesseraRow('library', 'session', '/auth/me', { BENCH_REDIS_URL: REDIS_URL, BENCH_REDIS_PREFIX: `${REDIS_PREFIX}library:` }) },
  { id: 'library-guard-session', label: 'Tessera library: requireAuth + constant body, session cookie', setup: () => tesseraRow('library', 'session', '/app/me') },
  { id: 'library-jwt-seen', label: 'Tessera library: /auth/me, EdDSA token seen before', setup: () => tesseraRow('library', 'jwt', '/auth/me') },
  { id: 'library-guard-jwt-seen', label: 'Tessera library: requireAuth + constant body, EdDSA token seen before', setup: () => tesseraRow('library', 'jwt', '/app/me') },
  { id: 'floor-eddsa', label: 'Fastify hook, raw node:crypto EdDSA (never seen)', setup: floorRow },
  { id: 'tessera-jwt-never', label: 'Tessera, EdDSA token never seen', setup: () => neverSeenRow('serve') },
  { id: 'library-jwt-never', label: 'Tessera library: /auth/me, EdDSA token never seen', setup: () => neverSeenRow('library') },
];

/** Keeps a row's lowest round, JIT code named, and callgrind_annotate's inclusive view of it. */
function profile(id: string, pid: number, dump: string): void {
  const perfMap = `/tmp/perf-${pid}.map`;
  const out = join(profileDir!, `${id}.callgrind`);
  if (!existsSync(perfMap)) throw new Error(`no ${perfMap}: node did not write its perf map`);
  try {
    symbolizeCallgrind(dump, perfMap, out);
  } finally {
    rmSync(perfMap, { force: true });
  }
  const annotated = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=99.5', out], { encoding: 'utf8', maxBuffer: 64 << 20 });
  writeFileSync(join(profileDir!, `${id}.txt`), annotated.stdout);
}

const wanted = values.rows?.split(',') ?? ROWS.map((r) => r.id);
const unknown = wanted.filter((id) => !ROWS.some((r) => r.id === id));
if (unknown.length > 0) {
  console.error(`unknown rows: ${unknown.join(', ')} (known: ${ROWS.map((r) => r.id).join(', ')})`);
  process.exit(2);
}
const selected = ROWS.filter((r) => wanted.includes(r.id));

interface Counts { id: string; label: string; lowest: number; median: number; rounds: number[] }
const results: Counts[] = [];
try {
  // One row at a time. With two at once (and two runs at once), the lowest rounds of the same
  // build differed by up to 20 %: a server that waits for a starved client does other work.
  for (const row of selected) {
    const target = await row.setup();
    const { server } = target;
    try {
      const { perRequest, lowestDump } = await countRounds(target);
      if (profileDir !== undefined) profile(row.id, server.pid, lowestDump);
      results.push({ id: row.id, label: row.label, lowest: Math.min(...perRequest), median: median(perRequest), rounds: perRequest });
      console.error(`${row.id}: ${perRequest.map((n) => Math.round(n)).join(' ')}`);
    } finally {
      await server.stop();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  if (selected.some((r) => r.id.includes('redis'))) await deleteRedisKeysAt(REDIS_URL, [REDIS_PREFIX]);
}

const bare = results.find((r) => r.id === 'bare');
const floor = results.find((r) => r.id === 'floor-eddsa');
const ratio = (to: Counts | undefined, r: Counts): string => (to === undefined ? '' : (to.lowest / r.lowest).toFixed(2));
console.log(`\nInstructions per GET /auth/me in the server process (callgrind; ${rounds} rounds of ${requests} requests after ${warmup} to warm up)\n`);
console.log(`| row | lowest round | median | bare ÷ row (lowest) | floor hook ÷ row (never-seen rows) |\n|---|---:|---:|---:|---:|`);
for (const r of results) {
  // The never-seen target is relative to the floor hook, the others to bare Fastify.
  const toFloor = r.id.endsWith('-never') ? ratio(floor, r) : '';
  console.log(`| ${r.label} | ${Math.round(r.lowest).toLocaleString('en')} | ${Math.round(r.median).toLocaleString('en')} | ${ratio(bare, r)} | ${toFloor} |`);
}
if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify({ requests, rounds, warmup, results }, null, 2)}\n`);

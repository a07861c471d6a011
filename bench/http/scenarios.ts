import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstJsonLine, pinRunning, startChild } from '../lib/children.js';
import type { Child } from '../lib/children.js';
import { SERVER_NODE_FLAGS, cookieHeader, minterFor, signInBoth, startTessera, startTesseraLibrary, writeTokens } from './tessera.js';
import type { Minter, TesseraServer } from './tessera.js';

/**
 * The HTTP scenarios: every server started once, pinned to the server core, checked with
 * one request (a scenario that does not answer 200 is an error, never a number), then
 * measured round after round by bench/http/rounds.ts.
 */

export type Group = 'baseline' | 'tessera' | 'floor' | 'peer';

export interface Scenario {
  id: string;
  label: string;
  group: Group;
  url: string;
  headers: Record<string, string>;
  /** Distinct bearer tokens, one per request (the "never seen" scenarios). */
  tokensFile?: string;
  /** Bytes of the credential header line (`Name: value\r\n`) each request carries. */
  credentialBytes: number;
  /** Set when the scenario cannot run here (a missing service); `error` when it broke. */
  skipped?: string;
  error?: string;
}

export interface ScenarioSet {
  scenarios: Scenario[];
  /** Called before each round: re-mints tokens that would expire during the round. */
  beforeRound(): void;
  /** The Tessera server and its JWT sign-in, for the revocation check at the end. */
  tessera: TesseraServer;
  /** The body of Tessera's `GET /auth/me` (the peers answer one of its size). */
  body: string;
  seenToken(): string;
  stopAll(): Promise<void>;
}

export interface ScenarioOptions {
  core: number | undefined;
  tokenCount: number;
  workDir: string;
  redisUrl: string | null;
  redisPrefix: string;
}

const SERVERS = fileURLToPath(new URL('./servers/', import.meta.url));
const TOKEN_REFRESH_MS = 5 * 60_000;

/** The bytes of request headers on the wire (`name: value\r\n` each). */
export function headerBytes(headers: Record<string, string>): number {
  return Object.entries(headers).reduce((n, [k, v]) => n + Buffer.byteLength(`${k}: ${v}\r\n`), 0);
}

/** The credential a peer server hands out at `/__bench/login`, as request headers. */
export async function credentialsOf(url: string): Promise<Record<string, string>> {
  const response = await fetch(`${url}/__bench/login`);
  if (!response.ok) throw new Error(`/__bench/login answered ${response.status}`);
  const body = (await response.json()) as { headers?: Record<string, string> };
  const cookie = cookieHeader(response);
  return { ...body.headers, ...(cookie ? { cookie } : {}) };
}

/** One request with the scenario's credential: anything but 200 makes the scenario an error. */
async function precheck(s: Scenario, firstToken?: string): Promise<void> {
  const headers = firstToken === undefined ? s.headers : { ...s.headers, authorization: `Bearer ${firstToken}` };
  const response = await fetch(s.url, { headers });
  if (response.status !== 200) throw new Error(`GET /auth/me answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
}

/** What Node and Fastify write on every response, bare Fastify's included. */
const FRAMEWORK_HEADERS = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * The environment of bare.ts that makes it exchange the bytes of a `tessera serve` bearer
 * request: the same Authorization header sent to it, the same extra response headers back
 * (the security headers, `Cache-Control: no-store`), read from a real answer of `me`.
 */
export async function sameBytesAs(me: string, accessToken: string): Promise<Record<string, string>> {
  const credential = { authorization: `Bearer ${accessToken}` };
  const response = await fetch(me, { headers: credential });
  await response.arrayBuffer();
  const headers = Object.fromEntries([...response.headers].filter(([name]) => !FRAMEWORK_HEADERS.has(name)));
  return { BENCH_HEADERS: JSON.stringify(headers), BENCH_CREDENTIAL: JSON.stringify(credential) };
}

/** Distinct valid tokens minted with one server's key, written to a file for the generator. */
interface NeverSeenBatch {
  minter: Minter;
  file: string;
  first: string;
}

/**
 * The library rows with a cookie or a seen token: the plugin's /auth/me, and `requireAuth`
 * guarding a route of the app that answers the peers' constant body (their like-for-like).
 */
function libraryScenarios(url: string, cookie: string, seen: string): Scenario[] {
  const row = (id: string, label: string, path: string, headers: Record<string, string>): Scenario => (
    { id, label: `Tessera library in Fastify: ${label}`, group: 'tessera', url: `${url}${path}`, headers, credentialBytes: 0 }
  );
  return [
    row('library-session', '/auth/me, session cookie (SQLite)', '/auth/me', { cookie }),
    row('library-guard-session', 'requireAuth + constant body, session cookie (SQLite)', '/app/me', { cookie }),
    row('library-jwt-seen', '/auth/me, EdDSA token seen before', '/auth/me', { authorization: `Bearer ${seen}` }),
    row('library-guard-jwt-seen', 'requireAuth + constant body, EdDSA token seen before', '/app/me', { authorization: `Bearer ${seen}` }),
  ];
}

export async function setupScenarios(o: ScenarioOptions): Promise<ScenarioSet> {
  const children: Child[] = [];
  const scenarios: Scenario[] = [];
  const tessera = await startTessera({ core: o.core });
  // The same server with the opt-in session cache (TESSERA_SESSION_CACHE=1): what a store read
  // per request costs, next to the default that pays it.
  const cached = await startTessera({ core: o.core, env: { TESSERA_SESSION_CACHE: '1' } });
  // Never-seen tokens on a server of their own, as each peer row has its own: after that
  // scenario's allocation burst and the idle minute while the other rows run, V8's memory
  // reducer left the server ~30 % slower per seen-token request for the rest of the run
  // (measured; gone with --no-memory-reducer).
  const freshServer = await startTessera({ core: o.core });
  // The seen-token and never-seen rows once more on servers without the access line
  // (TESSERA_ACCESS_LOG=false): what the line, one per request by default, costs.
  const quiet = await startTessera({ core: o.core, env: { TESSERA_ACCESS_LOG: 'false' } });
  const freshQuiet = await startTessera({ core: o.core, env: { TESSERA_ACCESS_LOG: 'false' } });
  // Tessera as a library in a plain Fastify app, like the peers (no `tessera serve` extras),
  // with its own server for never-seen tokens too. Started once the body size is known.
  const library: TesseraServer[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(children.map((c) => c.stop()));
    await Promise.all([tessera.stop(), cached.stop(), freshServer.stop(), quiet.stop(), freshQuiet.stop(), ...library.map((l) => l.stop())]);
  };
  try {
    const signedIn = await signInBoth(tessera.url);
    const body = await (await fetch(`${tessera.url}/auth/me`, { headers: { cookie: signedIn.sessionCookie } })).text();
    const minter: Minter = minterFor(tessera, signedIn.accessToken);
    const freshMinter: Minter = minterFor(freshServer, (await signInBoth(freshServer.url)).accessToken);
    const quietMinter: Minter = minterFor(quiet, (await signInBoth(quiet.url)).accessToken);
    const freshQuietMinter: Minter = minterFor(freshQuiet, (await signInBoth(freshQuiet.url)).accessToken);
    const [lib, libFresh] = await Promise.all([0, 1].map(() => startTesseraLibrary({ core: o.core, env: { BENCH_BODY: body } })));
    library.push(lib!, libFresh!);
    const libSignedIn = await signInBoth(lib!.url);
    const libMinter: Minter = minterFor(lib!, libSignedIn.accessToken);
    const libFreshMinter: Minter = minterFor(libFresh!, (await signInBoth(libFresh!.url)).accessToken);
    let seen = '';
    let libSeen = '';
    let quietSeen = '';
    // Never-seen tokens, one batch per server that verifies them (the floor hook checks with
    // the serve server's key, so it shares that batch).
    const serveFresh: NeverSeenBatch = { minter: freshMinter, file: '', first: '' };
    const libraryFresh: NeverSeenBatch = { minter: libFreshMinter, file: '', first: '' };
    const quietFresh: NeverSeenBatch = { minter: freshQuietMinter, file: '', first: '' };
    let mintedAt = 0;
    const mint = (): void => {
      [seen] = minter.mint(1) as [string];
      [libSeen] = libMinter.mint(1) as [string];
      [quietSeen] = quietMinter.mint(1) as [string];
      for (const batch of [serveFresh, libraryFresh, quietFresh]) {
        const tokens = batch.minter.mint(o.tokenCount);
        batch.first = tokens[0]!;
        batch.file = writeTokens(o.workDir, tokens);
      }
      mintedAt = Date.now();
    };
    const me = `${tessera.url}/auth/me`;

    const peer = async (id: string, label: string, group: Group, file: string, args: string[], env: Record<string, string> = {}, needsRedis = false): Promise<Scenario> => {
      const s: Scenario = { id, label, group, url: '', headers: {}, credentialBytes: 0 };
      if (needsRedis && o.redisUrl === null) return { ...s, skipped: 'Redis is not reachable' };
      // Started on any core (in parallel with the others), pinned once listening.
      const child = startChild({
        name: label,
        command: process.execPath,
        args: [...SERVER_NODE_FLAGS, '--import', 'tsx', join(SERVERS, file), ...args],
        env: { BENCH_BODY: body, BENCH_REDIS_URL: o.redisUrl ?? '', BENCH_REDIS_PREFIX: o.redisPrefix, ...env },
      });
      children.push(child);
      try {
        const { port } = await firstJsonLine<{ port: number }>(child);
        pinRunning(child.pid, o.core);
        s.url = `http://127.0.0.1:${port}/auth/me`;
        s.headers = await credentialsOf(`http://127.0.0.1:${port}`);
        s.credentialBytes = headerBytes(s.headers);
        await precheck(s, group === 'floor' ? serveFresh.first : undefined);
      } catch (error) {
        s.error = error instanceof Error ? error.message : String(error);
        await child.stop();
      }
      return s;
    };

    const floorEnv = { BENCH_ALG: freshMinter.alg, BENCH_PUBLIC_JWK: JSON.stringify(freshMinter.publicJwk) };
    const sameBytesEnv = await sameBytesAs(me, signedIn.accessToken);
    const peers = Promise.all([
      peer('bare', 'Bare Fastify (constant body)', 'baseline', 'bare.ts', []),
      peer('bare-same-bytes', 'Bare Fastify, the bytes of a Tessera token request (no auth work)', 'floor', 'bare.ts', [], sameBytesEnv),
      peer('floor-eddsa', 'Fastify hook, raw node:crypto EdDSA (never seen)', 'floor', 'floor-hook.ts', [], floorEnv),
      ...['HS256', 'EdDSA', 'ES256'].map((alg) => peer(`fastify-jwt-${alg.toLowerCase()}`, `@fastify/jwt ${alg}`, 'peer', 'fastify-jwt.ts', [alg])),
      peer('fastify-session', '@fastify/session (MemoryStore)', 'peer', 'fastify-session.ts', ['rolling']),
      peer('fastify-session-norolling', '@fastify/session, rolling: false', 'peer', 'fastify-session.ts', ['no-rolling']),
      peer('express-session-redis', 'express-session + connect-redis', 'peer', 'express-session-redis.ts', [], {}, true),
      peer('redis-hook', 'Fastify hook, one Redis GET', 'floor', 'redis-hook.ts', [], {}, true),
      peer('sqlite-hook', 'Fastify hook, one better-sqlite3 SELECT', 'floor', 'sqlite-hook.ts', [], { BENCH_SQLITE_PATH: join(o.workDir, 'hook.db') }),
    ]);
    mint(); // synchronous: done before any peer gets past its first await (the floor's check needs `serveFresh.first`)
    const cachedCookie = (await signInBoth(cached.url)).sessionCookie;
    const tesseraScenarios: Scenario[] = [
      { id: 'tessera-session', label: 'Tessera, session cookie (SQLite)', group: 'tessera', url: me, headers: { cookie: signedIn.sessionCookie }, credentialBytes: 0 },
      { id: 'tessera-session-cached', label: 'Tessera, session cookie (SQLite, TESSERA_SESSION_CACHE=1)', group: 'tessera', url: `${cached.url}/auth/me`, headers: { cookie: cachedCookie }, credentialBytes: 0 },
      { id: 'tessera-jwt-seen', label: 'Tessera, EdDSA token seen before', group: 'tessera', url: me, headers: { authorization: `Bearer ${seen}` }, credentialBytes: 0 },
      { id: 'tessera-jwt-seen-quiet', label: 'Tessera, EdDSA token seen before, TESSERA_ACCESS_LOG=false', group: 'tessera', url: `${quiet.url}/auth/me`, headers: { authorization: `Bearer ${quietSeen}` }, credentialBytes: 0 },
      { id: 'tessera-jwt-fresh', label: 'Tessera, EdDSA token never seen', group: 'tessera', url: `${freshServer.url}/auth/me`, headers: {}, tokensFile: serveFresh.file, credentialBytes: headerBytes({ authorization: `Bearer ${serveFresh.first}` }) },
      { id: 'tessera-jwt-fresh-quiet', label: 'Tessera, EdDSA token never seen, TESSERA_ACCESS_LOG=false', group: 'tessera', url: `${freshQuiet.url}/auth/me`, headers: {}, tokensFile: quietFresh.file, credentialBytes: headerBytes({ authorization: `Bearer ${quietFresh.first}` }) },
      ...libraryScenarios(lib!.url, libSignedIn.sessionCookie, libSeen),
      { id: 'library-jwt-fresh', label: 'Tessera library in Fastify: /auth/me, EdDSA token never seen', group: 'tessera', url: `${libFresh!.url}/auth/me`, headers: {}, tokensFile: libraryFresh.file, credentialBytes: headerBytes({ authorization: `Bearer ${libraryFresh.first}` }) },
    ];
    const neverSeenOf = new Map<string, NeverSeenBatch>([['tessera-jwt-fresh', serveFresh], ['tessera-jwt-fresh-quiet', quietFresh], ['floor-eddsa', serveFresh], ['library-jwt-fresh', libraryFresh]]);
    const seenOf = new Map<string, () => string>([['tessera-jwt-seen', () => seen], ['tessera-jwt-seen-quiet', () => quietSeen], ['library-jwt-seen', () => libSeen], ['library-guard-jwt-seen', () => libSeen]]);
    for (const s of tesseraScenarios) {
      if (s.credentialBytes === 0) s.credentialBytes = headerBytes(s.headers);
      await precheck(s, neverSeenOf.get(s.id)?.first);
    }
    // By id, not by position in the list above: a peer added before the floor once made
    // another row receive the floor's never-seen tokens, and the floor none (all 401s).
    const started = await peers;
    const bare = started.find((p) => p.id === 'bare')!;
    const floor = started.find((p) => p.id === 'floor-eddsa')!;
    const others = started.filter((p) => p !== bare && p !== floor);
    const fresh = tesseraScenarios.find((t) => t.id === 'tessera-jwt-fresh')!;
    scenarios.push(bare, ...tesseraScenarios, { ...floor, tokensFile: serveFresh.file, credentialBytes: fresh.credentialBytes }, ...others);

    return {
      scenarios,
      tessera,
      body,
      seenToken: () => seen,
      beforeRound() {
        if (Date.now() - mintedAt < TOKEN_REFRESH_MS) return;
        mint();
        for (const s of scenarios) {
          const batch = neverSeenOf.get(s.id);
          if (batch !== undefined) s.tokensFile = batch.file;
          const token = seenOf.get(s.id)?.();
          if (token !== undefined) s.headers = { authorization: `Bearer ${token}` };
        }
      },
      stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { AccessTokenClaims } from '../../packages/tessera/src/jwt/access-token.js';
import type { JwsAlgorithm } from '../../packages/tessera/src/jwt/algorithms.js';
import type { SigningKey } from '../../packages/tessera/src/jwt/key-ring.js';
import { BUILT_RESOLUTION_ENV, accessToken } from '../lib/built.js';
import { firstJsonLine, freePort, startChild, waitForHttp } from '../lib/children.js';
import type { Child } from '../lib/children.js';
import { tempDir } from '../micro/stores.js';

const { signAccessToken } = accessToken;

/**
 * The real Tessera server (`node packages/server/dist/cli.js serve`) as a child process, with a
 * temp data dir and its default log level (one access line per request, written to a file in
 * the data dir as a deployment writes to its log collector; `env` may set another
 * TESSERA_LOG_LEVEL); a user signed in over HTTP in both modes; and access tokens
 * minted in-process with the server's own signing key (read from its SQLite file), so that a
 * load generator can send a token the server has never seen on every request.
 */

const CLI = fileURLToPath(new URL('../../packages/server/dist/cli.js', import.meta.url));
export const BENCH_PASSWORD = `bench ${randomBytes(12).toString('hex')} password`;

export interface TesseraServer {
  child: Child;
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Node.js flags of every server the HTTP benchmarks start, Tessera's and the peers' alike.
 * Each server idles while the other rows run; after such a spell V8's memory reducer shrank
 * the heap, and the library's Fastify app then served a seen token at 32–36k req/s instead of
 * 43–48k for as long as it was measured, round after round (6 rounds of 4 s, 30 s apart; with
 * this flag 40–48k throughout). A server under steady load never idles for that long, so the
 * benchmark measures it without the reducer.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];

/**
 * How a server child is started. `node`: the command line that runs Node.js, default
 * `[process.execPath, ...SERVER_NODE_FLAGS]` (bench/instructions.ts puts valgrind in front of
 * it); `cli`: another build's `cli.js` (`tessera serve` only).
 */
export interface StartServerOptions {
  core?: number;
  env?: Record<string, string>;
  node?: readonly string[];
  cli?: string;
  /** How long the server may take to listen (valgrind needs minutes). */
  startTimeoutMs?: number;
}

export function nodeCommand(node: readonly string[] | undefined, args: string[]): { command: string; args: string[] } {
  const [command = process.execPath, ...before] = node ?? [process.execPath, ...SERVER_NODE_FLAGS];
  return { command, args: [...before, ...args] };
}

export async function startTessera(options: StartServerOptions & { dataDir?: string } = {}): Promise<TesseraServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? tempDir('server');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startChild({
    name: 'tessera serve',
    ...nodeCommand(options.node, [options.cli ?? CLI, 'serve']),
    env: { PORT: String(port), HOST: '127.0.0.1', TESSERA_DATA_DIR: dataDir, ...options.env },
    core: options.core,
    stdoutFile: join(dataDir, `stdout-${port}.log`),
  });
  const stop = async (): Promise<void> => {
    await child.stop();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(child, `${url}/healthz`, options.startTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, url, dataDir, stop };
}

const LIBRARY_SERVER = fileURLToPath(new URL('./servers/tessera-fastify.ts', import.meta.url));

/**
 * Tessera as a library in a plain Fastify app (servers/tessera-fastify.ts): its /auth/me,
 * and /app/me behind `app.requireAuth`. Same shape as {@link startTessera}, so the same
 * sign-in and minter serve both.
 */
export async function startTesseraLibrary(options: StartServerOptions = {}): Promise<TesseraServer> {
  const dataDir = tempDir('library');
  const child = startChild({
    name: 'Tessera library in Fastify',
    ...nodeCommand(options.node, ['--import', 'tsx', LIBRARY_SERVER]),
    env: { ...BUILT_RESOLUTION_ENV, BENCH_DATA_DIR: dataDir, ...options.env },
    core: options.core,
  });
  const stop = async (): Promise<void> => {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const { port } = await firstJsonLine<{ port: number }>(child, options.startTimeoutMs);
    return { child, url: `http://127.0.0.1:${port}`, dataDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** `name=value` pairs of Set-Cookie headers, joined as a Cookie header. */
export function cookieHeader(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
}

export interface SignedIn {
  email: string;
  sessionCookie: string;
  accessToken: string;
}

/** Registers a user and signs in once per mode, over HTTP. */
export async function signInBoth(url: string): Promise<SignedIn> {
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const reg = await post(`${url}/auth/register`, { email, password: BENCH_PASSWORD });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const session = await post(`${url}/auth/login`, { email, password: BENCH_PASSWORD, mode: 'session' });
  if (session.status !== 200) throw new Error(`login (session): ${session.status} ${await session.text()}`);
  const sessionCookie = cookieHeader(session).split('; ').filter((c) => c.includes('session')).join('; ');
  const jwt = await post(`${url}/auth/login`, { email, password: BENCH_PASSWORD, mode: 'jwt' });
  if (jwt.status !== 200) throw new Error(`login (jwt): ${jwt.status} ${await jwt.text()}`);
  const { accessToken } = (await jwt.json()) as { accessToken: string };
  return { email, sessionCookie, accessToken };
}

/** Ends the session record of `token` (logout with the bearer token). */
export async function logout(url: string, accessToken: string): Promise<number> {
  return (await post(`${url}/auth/logout`, {}, { authorization: `Bearer ${accessToken}` })).status;
}

export interface Minter {
  alg: JwsAlgorithm;
  publicJwk: JsonWebKey;
  /** `count` distinct valid tokens (fresh iat, distinct jti) for the sign-in's user and session. */
  mint(count: number): string[];
}

/** Reads the signing key of `accessToken` (by kid) from the server's database. */
export function minterFor(server: TesseraServer, accessToken: string): Minter {
  const [headerPart, payloadPart] = accessToken.split('.');
  const header = JSON.parse(Buffer.from(headerPart!, 'base64url').toString()) as { kid: string; alg: JwsAlgorithm };
  const template = JSON.parse(Buffer.from(payloadPart!, 'base64url').toString()) as AccessTokenClaims;
  const db = new Database(join(server.dataDir, 'tessera.db'), { readonly: true, fileMustExist: true });
  let row: { alg: JwsAlgorithm; private_jwk: string } | undefined;
  try {
    row = db.prepare<[string], { alg: JwsAlgorithm; private_jwk: string }>('SELECT alg, private_jwk FROM signing_keys WHERE kid = ?').get(header.kid);
  } finally {
    db.close();
  }
  if (row === undefined) throw new Error('the signing key of the access token is not in the server database');
  const key = createPrivateKey({ key: JSON.parse(row.private_jwk) as JsonWebKey, format: 'jwk' });
  const signing: SigningKey = { kid: header.kid, alg: row.alg, key };
  return {
    alg: row.alg,
    publicJwk: createPublicKey(key).export({ format: 'jwk' }),
    mint(count) {
      const tokens: string[] = [];
      const iat = Math.floor(Date.now() / 1000);
      const ttl = template.exp - template.iat;
      for (let i = 0; i < count; i++) {
        const claims = { ...template, iat, exp: iat + ttl, jti: randomBytes(16).toString('base64url') };
        tokens.push(signAccessToken(claims, signing));
      }
      return tokens;
    },
  };
}

export function writeTokens(dir: string, tokens: readonly string[]): string {
  const path = join(dir, `tokens-${randomBytes(4).toString('hex')}.txt`);
  writeFileSync(path, `${tokens.join('\n')}\n`);
  return path;
}

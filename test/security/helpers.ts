/**
 * Shared by the attack suites of test/security: the in-process server harness of the server
 * package (a real Fastify app with a captured log, driven with `app.inject`), the exact-refusal
 * assertion every case uses, the "nothing of the attempt is in the log" check, the server's own
 * signing keys read from its SQLite file (to forge correctly signed but bad tokens), a real
 * listening socket for what `inject` cannot send, and the route table read from the server.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { rawRequest as sendRaw } from '../../packages/server/test/helpers/raw-socket.js';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import type { SigningKeyRecord } from 'tessera';
import { body, cookiesOf, GOOD_PASSWORD, signIn, signUpAndIn, startTestServer } from '../../packages/server/test/helpers/test-server.js';
import type { TestServer, TestServerOptions } from '../../packages/server/test/helpers/test-server.js';

export { body, cookiesOf, GOOD_PASSWORD, signIn, signUpAndIn, startTestServer };
export type { TestServer, TestServerOptions };

import { SPEC_ERRORS } from '../../packages/server/test/helpers/spec-contract.js';

export { REFRESH_COOKIE, SESSION_COOKIE, SPEC_ERRORS } from '../../packages/server/test/helpers/spec-contract.js';

/**
 * Asserts the exact refusal: the status, a body that is exactly `{error:{code,message}}` with
 * `code`, never a 5xx, and on a 401 the `WWW-Authenticate: Bearer realm="tessera"` challenge
 * (`tokenSent`: with `error="invalid_token"`; false: without; undefined: either).
 */
export function assertRefusal(res: LightMyRequestResponse, status: number, code: string, label: string, tokenSent?: boolean): void {
  assert.ok(res.statusCode < 500, `${label}: answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  assert.equal(res.statusCode, status, `${label}: expected ${status} ${code}, got ${res.statusCode}: ${res.body.slice(0, 300)}`);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    assert.fail(`${label}: the body is not JSON: ${res.body.slice(0, 200)}`);
  }
  assert.deepEqual(Object.keys(parsed), ['error'], `${label}: body ${res.body.slice(0, 200)}`);
  const error = parsed.error as Record<string, unknown>;
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message'], `${label}: body ${res.body.slice(0, 200)}`);
  assert.equal(error.code, code, `${label}: code`);
  assert.equal(SPEC_ERRORS[code], status, `${label}: ${code} is not the spec's code for ${status}`);
  if (status === 401) {
    const challenge = res.headers['www-authenticate'];
    assert.equal(typeof challenge, 'string', `${label}: a 401 without WWW-Authenticate`);
    if (tokenSent === true) assert.equal(challenge, 'Bearer realm="tessera", error="invalid_token"', `${label}: challenge`);
    else if (tokenSent === false) assert.equal(challenge, 'Bearer realm="tessera"', `${label}: challenge`);
    else assert.match(challenge as string, /^Bearer realm="tessera"(, error="invalid_token")?$/, `${label}: challenge`);
  }
}

/**
 * What an attack sent, to be searched for in the server's log afterwards. A token is searched
 * whole and by its signature segment; a credential `id.secret` whole and by its secret; any
 * other value whole. Values shorter than 12 characters are too common to search for.
 */
export class AttemptLog {
  readonly #needles = new Map<string, string>();

  add(label: string, value: unknown): void {
    if (typeof value !== 'string' || value.length < 12) return;
    this.#needles.set(value, label);
    const parts = value.split('.');
    const last = parts[parts.length - 1]!;
    if (parts.length > 1 && last.length >= 16) this.#needles.set(last, `${label} (last segment)`);
  }

  get size(): number {
    return this.#needles.size;
  }

  /** Fails if any recorded value occurs in `log`; also checks that a log was captured at all. */
  assertAbsent(log: string, what = 'the server log'): void {
    assert.ok(log.includes('"msg":"request completed"') || log.includes('"msg":"incoming request"'), `${what} was not captured`);
    for (const [needle, label] of this.#needles) {
      assert.ok(!log.includes(needle), `${what} contains the attempt "${label}" (${needle.slice(0, 24)}…)`);
    }
    assert.ok(!/"level":(50|60)/.test(log), `${what} has an error line: ${log.split('\n').find((l) => /"level":(50|60)/.test(l))?.slice(0, 400)}`);
  }
}

/** Header and payload of a compact JWS, decoded without any check. */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

/** Opens the server's SQLite file read-only (the server keeps writing to it). */
export function openDatabase(dataDir: string): Database.Database {
  return new Database(join(dataDir, 'tessera.db'), { readonly: true, fileMustExist: true });
}

/** The server's signing key records, private JWKs included, straight from its database. */
export function readSigningKeys(dataDir: string): SigningKeyRecord[] {
  const db = openDatabase(dataDir);
  try {
    const rows = db.prepare('SELECT kid, alg, public_jwk, private_jwk, created_at, activates_at, retires_at, expires_at FROM signing_keys').all() as {
      kid: string; alg: SigningKeyRecord['alg']; public_jwk: string | null; private_jwk: string;
      created_at: number; activates_at: number; retires_at: number | null; expires_at: number | null;
    }[];
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      publicJwk: r.public_jwk,
      privateJwk: r.private_jwk,
      createdAt: r.created_at,
      activatesAt: r.activates_at,
      retiresAt: r.retires_at,
      expiresAt: r.expires_at,
    }));
  } finally {
    db.close();
  }
}

/** Makes the in-process server listen on a free loopback port (for raw-socket cases). */
export async function listen(s: TestServer): Promise<number> {
  await s.app.listen({ port: 0, host: '127.0.0.1' });
  return (s.app.server.address() as AddressInfo).port;
}

/** The shared raw-socket helper, with the 400 ms idle time of in-process servers. */
export function rawRequest(port: number, data: string | Buffer, idleMs = 400): Promise<string> {
  return sendRaw(port, data, idleMs);
}

/** Every HTTP response in a raw byte stream: status, lower-cased headers, body. */
export function parseRawResponses(raw: string): { status: number; headers: Record<string, string[]>; body: string }[] {
  const out: { status: number; headers: Record<string, string[]>; body: string }[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(rest);
    if (!m) break;
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const headers: Record<string, string[]> = {};
    for (const line of rest.slice(m[0].length, end).split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) (headers[line.slice(0, i).trim().toLowerCase()] ??= []).push(line.slice(i + 1).trim());
    }
    let bodyEnd = end + 4;
    const length = headers['content-length']?.[0];
    if (length !== undefined) bodyEnd += Number(length);
    else if (headers['transfer-encoding']?.[0] === 'chunked') {
      const term = rest.indexOf('\r\n0\r\n\r\n', end);
      bodyEnd = term < 0 ? rest.length : term + 7;
    } else bodyEnd = rest.length;
    out.push({ status: Number(m[1]), headers, body: rest.slice(end + 4, bodyEnd) });
    rest = rest.slice(bodyEnd);
  }
  return out;
}

/** One route of the server: its path pattern and the methods registered on it (405 stubs too). */
export interface RouteEntry {
  path: string;
  methods: string[];
}

/**
 * The server's route table, read from Fastify's own router (`printRoutes`): the tree's segments
 * are concatenated along each branch. Lists every registered method, including the handlers
 * that only answer 405; `allowedMethods` tells those apart.
 */
export function routeTable(s: TestServer): RouteEntry[] {
  const text = s.app.printRoutes({ commonPrefix: false });
  const stack: { depth: number; prefix: string }[] = [];
  const out: RouteEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    while (stack.length > 0 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const path = (stack[stack.length - 1]?.prefix ?? '') + m[2]!;
    stack.push({ depth, prefix: path });
    if (!m[3]) continue;
    const methods = m[3].split(',').map((x) => x.trim());
    // A path can appear twice (two plugins registered methods on it): one entry, all methods.
    const known = out.find((r) => r.path === path);
    if (known) known.methods = [...new Set([...known.methods, ...methods])];
    else out.push({ path, methods });
  }
  return out;
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A unique email for a test user. */
export function uniqueEmail(tag: string): string {
  return `${tag}-${Math.random().toString(36).slice(2, 10)}@example.com`;
}

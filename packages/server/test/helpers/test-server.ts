import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { createArgon2Hasher, ManualClock } from 'tessera';
import type { PasswordHasher } from 'tessera';
import { buildServer } from '../../src/app.js';
import type { HttpTimeouts, TesseraServer } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

/** A password that passes the default policy. */
export const GOOD_PASSWORD = 'correct horse battery staple';

/** A server on a fresh data dir, with a captured log and cheap argon2 parameters. */
export interface TestServer extends TesseraServer {
  dataDir: string;
  clock: ManualClock | undefined;
  /** Every log line written so far. */
  logText(): string;
  /** Stops the server and removes its data dir. */
  dispose(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  /** Use a ManualClock (starting now) instead of the system clock. */
  manualClock?: boolean;
  /** Reuse a data dir (durability tests). */
  dataDir?: string;
  /** Real OWASP argon2 parameters instead of cheap ones. */
  realHasher?: boolean;
  /** A hasher of the test's own (queue limits). */
  passwordHasher?: PasswordHasher;
  /** Shorter HTTP timeouts (slow-client tests). */
  httpTimeouts?: Partial<HttpTimeouts>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const config = loadConfig([], { TESSERA_DATA_DIR: dataDir, TESSERA_LOG_LEVEL: 'info', ...options.env });
  const lines: string[] = [];
  const logStream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const clock = options.manualClock ? new ManualClock(Date.now()) : undefined;
  const server = await buildServer(config, {
    logStream,
    ...(clock ? { clock } : {}),
    ...(options.httpTimeouts ? { httpTimeouts: options.httpTimeouts } : {}),
    ...(options.passwordHasher ? { passwordHasher: options.passwordHasher }
      : options.realHasher ? {} : { passwordHasher: createArgon2Hasher({ memoryKiB: 1024, timeCost: 1 }) }),
  });
  return {
    ...server,
    dataDir,
    clock,
    logText: () => lines.join(''),
    async dispose() {
      await server.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Parses a JSON response body. */
export function body<T = Record<string, any>>(res: LightMyRequestResponse): T { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(res.body) as T;
}

/** The `name=value` part of each Set-Cookie of a response. */
export function cookiesOf(res: LightMyRequestResponse): Record<string, string> {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: Record<string, string> = {};
  for (const c of list) {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    out[pair!.slice(0, eq)] = pair!.slice(eq + 1);
  }
  return out;
}

/** Registers and signs in; returns what each mode needs to call the API. */
export async function signUpAndIn(s: TestServer, mode: 'session' | 'jwt', email = `user-${Math.random().toString(36).slice(2)}@example.com`) {
  const reg = await s.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
  if (reg.statusCode !== 201) throw new Error(`register failed: ${reg.statusCode} ${reg.body}`);
  return signIn(s, mode, email);
}

export async function signIn(s: TestServer, mode: 'session' | 'jwt', email: string, password = GOOD_PASSWORD) {
  const res = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password, mode } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const b = body(res);
  const cookies = cookiesOf(res);
  const headers: Record<string, string> = mode === 'session'
    ? { cookie: `__Host-tessera_session=${cookies['__Host-tessera_session']}` }
    : { authorization: `Bearer ${b.accessToken}` };
  return { email, res, body: b, cookies, headers, userId: b.user.id as string };
}

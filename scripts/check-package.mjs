#!/usr/bin/env node
// Checks the library as users receive it: the tarball `npm pack` makes of packages/tessera.
//   1. what is in it (dist and package.json only, every export target present);
//   2. publint (--strict) and @arethetypeswrong/cli (--profile esm-only: the package is
//      ESM-only by design, so CommonJS `require` and node10 resolution are out of scope);
//   3. a run of every subpath from the tarball unpacked into an empty project's
//      node_modules/tessera, its dependencies and peers symlinked from this repository's
//      node_modules (no registry, no network, no native rebuild);
//   4. the same without any optional peer: the subpaths that need none load, the others
//      fail with an error that says what to install;
//   5. a TypeScript consumer (NodeNext, strict) type-checked against the packed .d.ts files.
// Usage: node scripts/check-package.mjs   (builds packages/tessera first; about 15 s)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'packages/tessera');
const bin = (name) => join(root, 'node_modules/.bin', name);
const started = Date.now();
const results = [];

// Runs in the unpacked project: every subpath loads and works end to end.
const SMOKE = `
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArgon2Hasher, createTessera, TesseraError } from 'tessera';
import { createMemoryStore } from 'tessera/memory';
import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite';
import { tesseraFastify } from 'tessera/fastify';
import { tesseraExpress } from 'tessera/express';
import { createWebHandler, requireAuth } from 'tessera/web';
import { createPostgresStore, createPostgresClusterBus } from 'tessera/postgres';
import { createRedisStore, createRedisClusterBus, redisClientOptions } from 'tessera/redis';
import { createRemoteVerifier } from 'tessera/verifier';
import pkg from 'tessera/package.json' with { type: 'json' };

for (const f of [createPostgresStore, createPostgresClusterBus, createRedisStore, createRedisClusterBus, createRemoteVerifier]) assert.equal(typeof f, 'function');
assert.equal(redisClientOptions().enableOfflineQueue, false);

assert.equal(pkg.name, 'tessera');
assert.equal(typeof tesseraFastify, 'function');
assert.equal(typeof tesseraExpress({ auth: {} }).requireAuth, 'function');
assert.ok(new TesseraError('not_found') instanceof Error);

const dir = mkdtempSync(join(tmpdir(), 'tessera-smoke-'));
const stores = { memory: createMemoryStore(), sqlite: createSqliteStore(openSqliteDatabase(join(dir, 'tessera.db'))) };
for (const [name, store] of Object.entries(stores)) {
  await store.migrate();
  const auth = await createTessera({ store, issuer: 'http://app.test', passwordHasher: createArgon2Hasher({ memoryKiB: 1024, timeCost: 1 }) });
  const handle = createWebHandler({ auth });
  const post = (path, body) => handle(new Request('http://app.test' + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
  const credentials = { email: 'smoke@example.com', password: 'correct horse battery staple' };
  assert.equal((await post('/auth/register', credentials)).status, 201, name);
  const { accessToken } = await (await post('/auth/login', { ...credentials, mode: 'jwt' })).json();
  const who = await requireAuth(auth, new Request('http://app.test/x', { headers: { authorization: 'Bearer ' + accessToken } }));
  assert.equal(who.status, 'authenticated', name);
  await auth.close();
  await store.close();
}
rmSync(dir, { recursive: true, force: true });
console.log('tessera, /memory, /sqlite, /postgres, /redis, /fastify, /express, /web, /verifier, /package.json: loaded; sign-up and JWT sign-in on memory and SQLite');
`;

// Runs in a project with the library's dependencies but none of its optional peers.
const MISSING_PEERS = `
import assert from 'node:assert/strict';
for (const subpath of ['tessera', 'tessera/memory', 'tessera/express', 'tessera/web', 'tessera/postgres', 'tessera/verifier']) await import(subpath);
await assert.rejects(import('tessera/redis'), { message: 'tessera/redis needs the optional peer dependency ioredis: npm install ioredis@5' });
await assert.rejects(import('tessera/sqlite'), { message: 'tessera/sqlite needs the optional peer dependency better-sqlite3: npm install better-sqlite3@12' });
await assert.rejects(import('tessera/fastify'), { message: 'tessera/fastify needs the optional peer dependency fastify-plugin: npm install fastify-plugin@5' });
console.log('tessera, /memory, /express, /web, /postgres (types only), /verifier load without peers; /sqlite, /redis and /fastify name what to install');
`;

// Type-checked against the packed declarations, as a user's code would be.
const CONSUMER = `
import express from 'express';
import { createTessera } from 'tessera';
import type { AuthResult, Tessera } from 'tessera';
import { createMemoryStore } from 'tessera/memory';
import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite';
import { tesseraExpress } from 'tessera/express';
import type { TesseraExpress } from 'tessera/express';
import { authenticateRequest, createWebHandler, requireAuth } from 'tessera/web';
import type { WebHandler } from 'tessera/web';
import type { TesseraFastifyOptions } from 'tessera/fastify';

export async function build(): Promise<void> {
  const store = Math.random() > 2 ? createSqliteStore(openSqliteDatabase('x.db')) : createMemoryStore();
  const auth: Tessera = await createTessera({ store, issuer: 'http://app.test' });
  const app = express();
  const tessera: TesseraExpress = tesseraExpress({ auth });
  app.use(express.json(), tessera);
  app.get('/hello', tessera.requireAuth, (req, res) => {
    const who: AuthResult | undefined = req.auth;
    res.json({ userId: who?.status === 'authenticated' ? who.userId : null });
  });
  const handler: WebHandler = createWebHandler({ auth, clientIp: () => '127.0.0.1' });
  const response: Response = await handler(new Request('http://app.test/auth/me'), { ip: '127.0.0.1' });
  const result: AuthResult = await authenticateRequest(auth, new Request('http://app.test/'));
  const guarded = await requireAuth(auth, new Request('http://app.test/'));
  const userId: string | null = guarded instanceof Response ? null : guarded.userId;
  const options: TesseraFastifyOptions = { auth, routePrefix: '/auth' };
  void [response, result, userId, options];
}
`;

function check(name, fn) {
  const t0 = Date.now();
  try {
    const detail = fn();
    results.push({ name, ok: true, detail: detail ?? '', ms: Date.now() - t0 });
  } catch (error) {
    results.push({ name, ok: false, detail: String(error.stdout ?? '') + String(error.stderr ?? '') + String(error.message ?? error), ms: Date.now() - t0 });
  }
}

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Where this repository resolves a package for the library (its own node_modules first). */
function installedDir(name) {
  for (const base of [join(pkgDir, 'node_modules'), join(root, 'node_modules')]) {
    const dir = join(base, name);
    if (existsSync(join(dir, 'package.json'))) return realpathSync(dir);
  }
  throw new Error(`${name} is not installed in this repository`);
}

/** An empty project with the packed library unpacked and `links` symlinked into node_modules. */
function makeProject(dir, tarball, links) {
  const target = join(dir, 'node_modules/tessera');
  mkdirSync(target, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  for (const name of links) {
    const link = join(dir, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(installedDir(name), link, 'dir');
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
}

function node(cwd, file, source) {
  writeFileSync(join(cwd, file), source);
  const r = spawnSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw Object.assign(new Error(`${file} failed (${r.status ?? r.signal})`), { stdout: r.stdout, stderr: r.stderr });
  return r.stdout.trim();
}

const tmp = mkdtempSync(join(tmpdir(), 'tessera-pack-'));
try {
  check('build packages/tessera', () => void run(bin('tsc'), ['-b', 'packages/tessera'], root));

  let tarball = '';
  let manifest = {};
  check('npm pack: contents', () => {
    const [info] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], pkgDir));
    tarball = join(tmp, info.filename);
    manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const files = new Set(info.files.map((f) => f.path));
    const stray = [...files].filter((p) => p !== 'package.json' && !p.startsWith('dist/'));
    const tests = [...files].filter((p) => /\.test\./.test(p));
    if (stray.length > 0 || tests.length > 0) throw new Error(`unexpected files: ${[...stray, ...tests].join(', ')}`);
    const targets = Object.values(manifest.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
    const missing = targets.map((t) => t.replace(/^\.\//, '')).filter((t) => !files.has(t));
    if (missing.length > 0) throw new Error(`export targets missing from the tarball: ${missing.join(', ')}`);
    return `${info.filename}: ${info.entryCount} files, ${(info.size / 1024).toFixed(0)} KiB packed`;
  });
  if (!tarball) throw new Error('npm pack failed; nothing else to check');

  check('publint --strict', () => run(bin('publint'), ['run', tarball, '--strict'], root).trim().split('\n').at(-1));
  check('attw --profile esm-only', () => {
    run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped', '--no-emoji', '--no-color'], root);
    return 'no problems';
  });

  const deps = Object.keys(manifest.dependencies ?? {});
  const peers = Object.keys(manifest.peerDependencies ?? {});
  const full = join(tmp, 'full');
  check('import every subpath from the tarball, with the peers', () => {
    makeProject(full, tarball, [...deps, ...peers]);
    return node(full, 'smoke.mjs', SMOKE);
  });

  check('without optional peers: clear errors, other subpaths unaffected', () => {
    const bare = join(tmp, 'bare');
    makeProject(bare, tarball, deps);
    return node(bare, 'peers.mjs', MISSING_PEERS);
  });

  check('TypeScript consumer (NodeNext, strict) against the packed types', () => {
    for (const t of ['@types/node', '@types/express', '@types/better-sqlite3']) {
      const link = join(full, 'node_modules', t);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(realpathSync(join(root, 'node_modules', t)), link, 'dir');
    }
    writeFileSync(join(full, 'consumer.ts'), CONSUMER);
    writeFileSync(join(full, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, verbatimModuleSyntax: true, types: ['node'] },
      files: ['consumer.ts'],
    }));
    run(bin('tsc'), ['-p', join(full, 'tsconfig.json')], full);
    return 'tsc: no errors';
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.ms} ms)${r.detail ? `\n     ${r.detail.replace(/\n/g, '\n     ')}` : ''}`);
console.log(`${results.filter((r) => r.ok).length}/${results.length} checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);

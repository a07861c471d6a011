/**
 * Durability: the real server process (`dist/cli.js serve`, real argon2, SQLite on disk) is
 * killed with SIGKILL — no shutdown hook runs — and restarted on the same data dir and the
 * same port (the default issuer is `http://<host>:<port>`, so the port is part of the
 * tokens' `iss`). Users, sessions, refresh families, signing keys, the refresh derivation key
 * and revocations must all have survived.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanUpServers, fetchCookies, freePort, makeDataDir, postJson, spawnServer } from './spawn-server.js';
import type { SpawnedServer } from './spawn-server.js';

const SESSION_COOKIE = '__Host-tessera_session';
const PASSWORD = 'durable password for the kill test';
/** Long enough that the replay below, after a restart with real argon2, is within it. */
const ENV = { TESSERA_REFRESH_REUSE_LEEWAY: '300' };


after(cleanUpServers);

async function json(res: Response): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 300)}`);
  }
}

async function me(s: SpawnedServer, headers: Record<string, string>): Promise<{ status: number; body: Record<string, any> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await s.fetch('/auth/me', { headers });
  return { status: res.status, body: await json(res) };
}

async function login(s: SpawnedServer, email: string, mode: 'session' | 'jwt') {
  const res = await postJson(s, '/auth/login', { email, password: PASSWORD, mode });
  const body = await json(res);
  assert.equal(res.status, 200, JSON.stringify(body));
  return { body, cookies: fetchCookies(res) };
}

function sidOf(accessToken: string): string {
  return (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as { sid: string }).sid;
}

test('after SIGKILL and a restart on the same data dir, every credential and key is still valid', async () => {
  const dataDir = makeDataDir();
  const port = await freePort();
  const email = `durable-${Date.now()}@example.com`;

  // --- First life -------------------------------------------------------------------------
  const first = await spawnServer({ dataDir, port, env: ENV });

  const reg = await postJson(first, '/auth/register', { email, password: PASSWORD });
  assert.equal(reg.status, 201, await reg.text());

  const sess = await login(first, email, 'session');
  const cookie = `${SESSION_COOKIE}=${sess.cookies[SESSION_COOKIE]}`;
  const jwt = await login(first, email, 'jwt');
  const accessToken = jwt.body.accessToken as string;
  const r0 = jwt.body.refreshToken as string;

  // Rotate once before the crash: R0 → R1. After the restart R0 is the immediate
  // predecessor; replayed within the leeway it must get the *same* successor, which only
  // works if the refresh derivation key was persisted.
  const rot = await postJson(first, '/auth/refresh', { refreshToken: r0 });
  const rotBody = await json(rot);
  assert.equal(rot.status, 200, JSON.stringify(rotBody));
  const r1 = rotBody.refreshToken as string;
  assert.notEqual(r1, r0);

  // Revocations made before the crash must hold after it.
  const ended = await login(first, email, 'session');
  const endedCookie = `${SESSION_COOKIE}=${ended.cookies[SESSION_COOKIE]}`;
  assert.equal((await first.fetch('/auth/logout', { method: 'POST', headers: { cookie: endedCookie } })).status, 204);
  const revokedJwt = await login(first, email, 'jwt');
  const revokedAccess = revokedJwt.body.accessToken as string;
  const del = await first.fetch(`/auth/sessions/${encodeURIComponent(sidOf(revokedAccess))}`, { method: 'DELETE', headers: { cookie } });
  assert.equal(del.status, 204, await del.text());
  assert.equal((await me(first, { authorization: `Bearer ${revokedAccess}` })).status, 401);

  const jwksBefore = await json(await first.fetch('/.well-known/jwks.json'));
  const kidsBefore = (jwksBefore.keys as { kid: string }[]).map((k) => k.kid).sort();
  assert.ok(kidsBefore.length >= 1);

  // --- Crash ------------------------------------------------------------------------------
  process.kill(first.pid, 'SIGKILL');
  const exit = await first.exited;
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(first.alive(), false);

  // --- Second life: same data dir, same port ----------------------------------------------
  const second = await spawnServer({ dataDir, port, env: ENV });
  assert.notEqual(second.pid, first.pid);

  // The user can sign in (the password hash survived).
  const again = await login(second, email, 'session');
  assert.equal(again.body.user.email, email);

  // The session cookie from before the crash still works.
  const meCookie = await me(second, { cookie });
  assert.equal(meCookie.status, 200, JSON.stringify(meCookie.body));
  assert.equal(meCookie.body.user.email, email);
  assert.equal(meCookie.body.auth.mode, 'session');
  assert.equal(meCookie.body.auth.id, sess.body.session.id);

  // The access token from before the crash still verifies (same keys, same issuer).
  const meBearer = await me(second, { authorization: `Bearer ${accessToken}` });
  assert.equal(meBearer.status, 200, JSON.stringify(meBearer.body));
  assert.equal(meBearer.body.user.id, jwt.body.user.id);
  assert.equal(meBearer.body.auth.mode, 'jwt');

  // The JWKS publishes the same keys.
  const jwksAfter = await json(await second.fetch('/.well-known/jwks.json'));
  assert.deepEqual((jwksAfter.keys as { kid: string }[]).map((k) => k.kid).sort(), kidsBefore);
  assert.deepEqual(jwksAfter, jwksBefore);

  // Revocations survived: the logged-out cookie and the ended JWT session stay refused.
  assert.equal((await me(second, { cookie: endedCookie })).status, 401);
  assert.equal((await me(second, { authorization: `Bearer ${revokedAccess}` })).status, 401);

  // The predecessor replayed within the leeway gets the same successor.
  const replay = await postJson(second, '/auth/refresh', { refreshToken: r0 });
  const replayBody = await json(replay);
  assert.equal(replay.status, 200, `replay of the predecessor after restart: ${JSON.stringify(replayBody)}`);
  assert.equal(replayBody.refreshToken, r1, 'the replayed predecessor must get the same successor');

  // The refresh token still rotates, and the new access token works.
  const next = await postJson(second, '/auth/refresh', { refreshToken: r1 });
  const nextBody = await json(next);
  assert.equal(next.status, 200, JSON.stringify(nextBody));
  assert.equal(typeof nextBody.refreshToken, 'string');
  assert.notEqual(nextBody.refreshToken, r1);
  assert.notEqual(nextBody.refreshToken, r0);
  assert.equal((await me(second, { authorization: `Bearer ${nextBody.accessToken as string}` })).status, 200);

  // Reuse detection also works across the restart: R0 is now two generations old.
  const reuse = await postJson(second, '/auth/refresh', { refreshToken: r0 });
  assert.equal(reuse.status, 401);
  assert.equal((await json(reuse)).error.code, 'invalid_grant');
  const afterReuse = await postJson(second, '/auth/refresh', { refreshToken: nextBody.refreshToken as string });
  assert.equal(afterReuse.status, 401, 'reuse of an old token must revoke the whole family');
  assert.equal((await me(second, { authorization: `Bearer ${nextBody.accessToken as string}` })).status, 401);

  // A clean stop this time.
  const stopped = await second.stop();
  assert.equal(stopped.code, 0, `exit after SIGTERM: ${JSON.stringify(stopped)}\n${second.stderr()}`);
});

test('a write acknowledged just before SIGKILL is not lost', async () => {
  // Register and kill at once: the 201 means committed, whatever happens to the process next.
  const dataDir = makeDataDir();
  const port = await freePort();
  const first = await spawnServer({ dataDir, port });
  const emails = Array.from({ length: 3 }, (_, i) => `ack-${i}-${Date.now()}@example.com`);
  for (const email of emails) {
    const res = await postJson(first, '/auth/register', { email, password: PASSWORD });
    assert.equal(res.status, 201);
  }
  const sess = await login(first, emails[2]!, 'session');
  process.kill(first.pid, 'SIGKILL');
  await first.exited;

  const second = await spawnServer({ dataDir, port });
  for (const email of emails) {
    const dup = await postJson(second, '/auth/register', { email, password: PASSWORD });
    assert.equal(dup.status, 409, `${email} was lost`);
  }
  const meCookie = await me(second, { cookie: `${SESSION_COOKIE}=${sess.cookies[SESSION_COOKIE]}` });
  assert.equal(meCookie.status, 200);
  await second.stop();
});

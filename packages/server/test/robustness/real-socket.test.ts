/**
 * End to end over a real TCP socket: the built server as a child process, `fetch` for
 * ordinary requests, raw `net.Socket` writes for what `fetch` refuses to send (conflicting
 * framing headers, oversized headers, malformed request lines). Checks what `inject` cannot:
 * the headers that survive Node's HTTP stack, its parser's refusals, and a clean SIGTERM.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { cleanUpServers, fetchCookies, pidExists, postJson, rawRequest, rawStatuses, spawnServer } from './spawn-server.js';
import type { SpawnedServer } from './spawn-server.js';

const SESSION_COOKIE = '__Host-tessera_session';
const REFRESH_COOKIE = '__Secure-tessera_refresh';
const PASSWORD = 'real socket password, long enough';

let s: SpawnedServer;

before(async () => {
  s = await spawnServer();
});

after(cleanUpServers);

async function json(res: Response): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 300)}`);
  }
}

async function register(server: SpawnedServer): Promise<string> {
  const email = `socket-${Math.random().toString(36).slice(2)}@example.com`;
  const res = await postJson(server, '/auth/register', { email, password: PASSWORD });
  assert.equal(res.status, 201, await res.text());
  return email;
}

async function assertAlive(server: SpawnedServer): Promise<void> {
  assert.ok(server.alive(), `the server exited: ${server.stderr()}`);
  const res = await server.fetch('/healthz');
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

/** Parses a Set-Cookie line into its name, value and lower-cased attributes. */
function parseSetCookie(line: string): { name: string; value: string; attrs: Map<string, string> } {
  const [pair, ...rest] = line.split(';');
  const eq = pair!.indexOf('=');
  const attrs = new Map<string, string>();
  for (const a of rest) {
    const i = a.indexOf('=');
    attrs.set((i === -1 ? a : a.slice(0, i)).trim().toLowerCase(), i === -1 ? '' : a.slice(i + 1).trim());
  }
  return { name: pair!.slice(0, eq).trim(), value: pair!.slice(eq + 1), attrs };
}

test('session mode: register, sign in, /auth/me with the cookie, logout, then 401', async () => {
  const email = await register(s);
  const login = await postJson(s, '/auth/login', { email, password: PASSWORD, mode: 'session' });
  const loginBody = await json(login);
  assert.equal(login.status, 200, JSON.stringify(loginBody));
  assert.equal(loginBody.mode, 'session');
  const cookie = `${SESSION_COOKIE}=${fetchCookies(login)[SESSION_COOKIE]}`;

  const me = await s.fetch('/auth/me', { headers: { cookie } });
  const meBody = await json(me);
  assert.equal(me.status, 200, JSON.stringify(meBody));
  assert.equal(meBody.user.email, email);
  assert.equal(meBody.auth.mode, 'session');
  assert.equal(meBody.auth.id, loginBody.session.id);

  const logout = await s.fetch('/auth/logout', { method: 'POST', headers: { cookie } });
  assert.equal(logout.status, 204);
  assert.equal(await logout.text(), '');
  const cleared = logout.headers.getSetCookie().map(parseSetCookie).find((c) => c.name === SESSION_COOKIE);
  assert.ok(cleared, 'logout clears the session cookie');
  assert.equal(cleared.value, '');
  assert.equal(cleared.attrs.get('max-age'), '0');

  const after = await s.fetch('/auth/me', { headers: { cookie } });
  assert.equal(after.status, 401);
  assert.match(after.headers.get('www-authenticate') ?? '', /^Bearer realm="tessera"/);
  assert.equal((await json(after)).error.code, 'unauthorized');
});

test('JWT mode: sign in, /auth/me, refresh, logout, then the tokens are refused', async () => {
  const email = await register(s);
  const login = await postJson(s, '/auth/login', { email, password: PASSWORD, mode: 'jwt' });
  const tokens = await json(login);
  assert.equal(login.status, 200, JSON.stringify(tokens));
  assert.equal(tokens.mode, 'jwt');
  assert.equal(tokens.tokenType, 'Bearer');
  assert.equal(login.headers.get('cache-control'), 'no-store');

  const me = await s.fetch('/auth/me', { headers: { authorization: `Bearer ${tokens.accessToken as string}` } });
  const meBody = await json(me);
  assert.equal(me.status, 200, JSON.stringify(meBody));
  assert.equal(meBody.auth.mode, 'jwt');

  // Refresh through the cookie the login set (as a browser would), scoped to /auth/refresh.
  const refreshCookie = fetchCookies(login)[REFRESH_COOKIE];
  assert.equal(refreshCookie, tokens.refreshToken);
  const refreshed = await s.fetch('/auth/refresh', { method: 'POST', headers: { cookie: `${REFRESH_COOKIE}=${refreshCookie}` } });
  const pair = await json(refreshed);
  assert.equal(refreshed.status, 200, JSON.stringify(pair));
  assert.notEqual(pair.refreshToken, tokens.refreshToken);
  assert.equal(fetchCookies(refreshed)[REFRESH_COOKIE], pair.refreshToken, 'the rotated token is set as the cookie too');
  const me2 = await s.fetch('/auth/me', { headers: { authorization: `Bearer ${pair.accessToken as string}` } });
  assert.equal(me2.status, 200);
  await me2.arrayBuffer();

  const logout = await s.fetch('/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${pair.accessToken as string}` } });
  assert.equal(logout.status, 204);
  for (const token of [tokens.accessToken as string, pair.accessToken as string]) {
    const res = await s.fetch('/auth/me', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    await res.arrayBuffer();
  }
  const again = await postJson(s, '/auth/refresh', { refreshToken: pair.refreshToken });
  assert.equal(again.status, 401);
  assert.equal((await json(again)).error.code, 'invalid_grant');
});

test('Set-Cookie survives the real HTTP stack with the spec\'s attributes', async () => {
  const email = await register(s);
  const session = await postJson(s, '/auth/login', { email, password: PASSWORD });
  await session.arrayBuffer();
  assert.equal(session.headers.get('cache-control'), 'no-store');
  const lines = session.headers.getSetCookie();
  assert.equal(lines.length, 1, `one Set-Cookie: ${JSON.stringify(lines)}`);
  const c = parseSetCookie(lines[0]!);
  assert.equal(c.name, SESSION_COOKIE);
  assert.match(c.value, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/, '128-bit id and 256-bit secret, base64url');
  assert.ok(c.attrs.has('httponly'), 'HttpOnly');
  assert.ok(c.attrs.has('secure'), 'Secure (required by the __Host- prefix)');
  assert.equal(c.attrs.get('samesite')?.toLowerCase(), 'lax');
  assert.equal(c.attrs.get('path'), '/');
  assert.ok(!c.attrs.has('domain'), 'no Domain (required by the __Host- prefix)');
  assert.ok(Number(c.attrs.get('max-age')) > 0, 'a persistent cookie with Max-Age');

  const jwt = await postJson(s, '/auth/login', { email, password: PASSWORD, mode: 'jwt' });
  await jwt.arrayBuffer();
  const refresh = jwt.headers.getSetCookie().map(parseSetCookie);
  assert.equal(refresh.length, 1, 'JWT mode sets only the refresh cookie');
  const r = refresh[0]!;
  assert.equal(r.name, REFRESH_COOKIE);
  assert.ok(r.attrs.has('httponly'));
  assert.ok(r.attrs.has('secure'));
  assert.equal(r.attrs.get('path'), '/auth/refresh');
  assert.ok(!r.attrs.has('domain'));
  assert.ok(Number(r.attrs.get('max-age')) > 0);
});

test('with TESSERA_COOKIE_SECURE=false the cookie is tessera_session, without Secure', async () => {
  const plain = await spawnServer({ env: { TESSERA_COOKIE_SECURE: 'false' } });
  try {
    const email = await register(plain);
    const login = await postJson(plain, '/auth/login', { email, password: PASSWORD });
    await login.arrayBuffer();
    const c = parseSetCookie(login.headers.getSetCookie()[0]!);
    assert.equal(c.name, 'tessera_session');
    assert.ok(!c.attrs.has('secure'));
    assert.ok(c.attrs.has('httponly'));
    assert.equal(c.attrs.get('samesite')?.toLowerCase(), 'lax');
    const me = await plain.fetch('/auth/me', { headers: { cookie: `tessera_session=${c.value}` } });
    assert.equal(me.status, 200);
    await me.arrayBuffer();
  } finally {
    await plain.stop();
  }
});

test('Content-Length together with Transfer-Encoding: chunked is a 400, nothing is smuggled, the server lives', async () => {
  const body = '{"email":"a@b.co","password":"x"}';
  const smuggled = 'GET /auth/me HTTP/1.1\r\nHost: x\r\n\r\n';
  const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  const raw = await rawRequest(s.port, [
    'POST /auth/login HTTP/1.1',
    `Host: 127.0.0.1:${s.port}`,
    'Content-Type: application/json',
    `Content-Length: ${chunked.length}`,
    'Transfer-Encoding: chunked',
    '',
    chunked + smuggled,
  ].join('\r\n'));
  assert.deepEqual(rawStatuses(raw), [400], `one 400 and nothing else:\n${raw}`);
  await assertAlive(s);
});

test('malformed request lines and raw paths get 4xx answers, never a crash', async () => {
  const requests = [
    'GARBAGE\r\n\r\n',
    'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
    'GET /auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \x01\x02\r\n\r\n',
    'GET /\\ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'GET /auth/sessions/%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    `DELETE /auth/sessions/${'x'.repeat(3000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    'GET /auth/me?access_token=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'GET /auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\nConnection: close\r\n\r\n',
    'GET /auth/me HTTP/1.1\r\nHost: x\r\nCookie: __Host-tessera_session=a\r\nCookie: __Host-tessera_session=b\r\nConnection: close\r\n\r\n',
    'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}',
    'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
    'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n',
    'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad\x00Header: 1\r\n\r\n',
  ];
  for (const request of requests) {
    const raw = await rawRequest(s.port, request, 1000);
    const statuses = rawStatuses(raw);
    assert.ok(statuses.length >= 1, `no answer to ${JSON.stringify(request.slice(0, 80))}`);
    for (const status of statuses) assert.ok(status >= 400 && status < 500, `${status} for ${JSON.stringify(request.slice(0, 80))}:\n${raw.slice(0, 500)}`);
    await assertAlive(s);
  }
});

/** The body of a raw HTTP/1.1 response (after the blank line; no chunked bodies here). */
function rawBody(raw: string): string {
  const at = raw.indexOf('\r\n\r\n');
  return at === -1 ? '' : raw.slice(at + 4);
}

test('the HTTP parser\'s 400s answer in the spec\'s error shape {error:{code,message}}', async () => {
  // Spec: "Errors: {error:{code, message}}" — including requests Node's parser refuses
  // before Fastify routes them (Fastify's clientErrorHandler writes its own shape).
  const requests = {
    'Content-Length with Transfer-Encoding': 'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'a malformed request line': 'GARBAGE\r\n\r\n',
    'a control character in a header': 'GET /auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \x01\r\n\r\n',
    // Refused by Node's server rather than its parser (417 with an empty body by default).
    'an Expect other than 100-continue': 'POST /auth/login HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
  };
  const wrong: string[] = [];
  for (const [what, request] of Object.entries(requests)) {
    const raw = await rawRequest(s.port, request, 1000);
    assert.deepEqual(rawStatuses(raw), [400], `${what}: ${raw}`);
    let parsed: { error?: { code?: unknown; message?: unknown } } | undefined;
    try {
      parsed = JSON.parse(rawBody(raw)) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    const ok = typeof parsed?.error === 'object' && parsed.error !== null && parsed.error.code === 'invalid_request' && typeof parsed.error.message === 'string';
    if (!ok) wrong.push(`${what}: ${rawBody(raw)}`);
  }
  assert.deepEqual(wrong, [], `parser errors not in the spec's shape:\n${wrong.join('\n')}`);
  await assertAlive(s);
});

test('an oversized header (20 KB cookie) gets 431 and the server lives', async () => {
  const raw = await rawRequest(s.port, `GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nCookie: ${SESSION_COOKIE}=${'a'.repeat(20 * 1024)}\r\n\r\n`);
  assert.deepEqual(rawStatuses(raw), [431], raw.slice(0, 300));
  // And through fetch, the way a browser with a bloated cookie jar would hit it.
  const res = await s.fetch('/auth/me', { headers: { cookie: `junk=${'b'.repeat(20 * 1024)}` } });
  assert.equal(res.status, 431);
  await res.arrayBuffer();
  await assertAlive(s);
});

test('SIGTERM stops the server cleanly with exit code 0, an idle keep-alive connection included', async () => {
  const victim = await spawnServer();
  // A keep-alive connection left open by fetch's pool after one request.
  const keepAlive = await victim.fetch('/healthz');
  await keepAlive.arrayBuffer();
  const started = Date.now();
  victim.signal('SIGTERM');
  const exit = await victim.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, `exit: ${JSON.stringify(exit)}\nstderr:\n${victim.stderr()}`);
  assert.ok(Date.now() - started < 5000, `shutdown took ${Date.now() - started} ms`);
  assert.equal(victim.stderr(), '', 'nothing on stderr');
  assert.equal(pidExists(victim.pid), false);
  // The port is free again: nothing answers there.
  await assert.rejects(victim.fetch('/healthz', { signal: AbortSignal.timeout(1000) }));
});

test('SIGTERM with a request in flight: it is answered, so is one pipelined behind it (Connection: close), then exit 0', async () => {
  // A rolling restart behind a load balancer that keeps connections alive: what arrives while
  // the server closes is answered in the spec's shape, never with Fastify's own 503 body.
  const victim = await spawnServer();
  const socket = connect(victim.port, '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => { received += chunk; });
  socket.on('error', () => { /* the server closes it */ });
  const closed = new Promise((resolve) => socket.once('close', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(`POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1:${victim.port}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    victim.signal('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write(`}GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${victim.port}\r\n\r\n`);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
    const exit = await victim.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, `exit: ${JSON.stringify(exit)}\nstderr:\n${victim.stderr()}`);
    assert.ok(!received.includes('Service Unavailable'), received);
    const at = received.indexOf('HTTP/1.1', 1);
    const first = received.slice(0, at);
    const second = received.slice(at);
    // The request in flight: its answer, in the spec's shape.
    assert.match(first, /^HTTP\/1\.1 400 [^]*\r\n\r\n\{"error":\{"code":"invalid_request"/, received);
    // The one that arrived while closing: served, and told to go elsewhere next.
    assert.match(second, /^HTTP\/1\.1 200 OK\r\n/, received);
    assert.match(second, /\r\nConnection: close\r\n/i, received);
    assert.match(second, /\{"status":"ok"\}$/, received);
  } finally {
    socket.destroy();
  }
});

test('SIGTERM with a client connected that has not sent a request yet: still a prompt exit 0', async () => {
  // Browsers preconnect, load balancers and HTTP client pools open sockets ahead of use: a
  // connection with no request on it is idle and must not hold up the shutdown.
  const victim = await spawnServer();
  const socket = connect(victim.port, '127.0.0.1');
  socket.on('error', () => { /* the server closes it */ });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const started = Date.now();
    victim.signal('SIGTERM');
    const exit = await victim.exited;
    const took = Date.now() - started;
    assert.deepEqual({ ...exit, slow: took >= 5000 }, { code: 0, signal: null, slow: false }, `exit ${JSON.stringify(exit)} after ${took} ms\nstderr:\n${victim.stderr()}`);
  } finally {
    socket.destroy();
  }
});

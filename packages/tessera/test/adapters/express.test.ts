import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import express from 'express';
import type { Express } from 'express';
import { tesseraExpress } from '../../src/adapters/express.js';
import type { TesseraExpress } from '../../src/adapters/express.js';
import { makeTessera } from '../auth/fixture.js';
import type { Fixture } from '../auth/fixture.js';
import { cookiePair, errorCode, exerciseAuthFlow, PASSWORD, postJson } from './auth-flow.js';
import type { Send } from './auth-flow.js';

// Real sockets (app.listen(0) + fetch): the adapter reads the Node request stream itself.

const servers: Server[] = [];

async function serve(app: Express): Promise<Send> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const send: Send = (path, init) => fetch(base + path, init);
  bases.set(send, base);
  return send;
}

const bases = new Map<Send, string>();

/** A request fetch cannot send (a GET with a body): status and error code. */
async function raw(send: Send, method: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; code: string | undefined }> {
  // Content-Length set here: Node's client sends a GET body unframed otherwise.
  const req = httpRequest(`${bases.get(send)!}${path}`, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } });
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return { status: res.statusCode!, code: text.startsWith('{') ? (JSON.parse(text) as { error?: { code?: string } }).error?.code : undefined };
}

/** A body sent in chunks, without Content-Length. */
function chunkedBody(text: string): RequestInit {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.subarray(i, i + 4096));
      controller.close();
    },
  });
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit;
}

/** An app with the protected routes of the journey, Tessera mounted by `mount`. */
function appWith(tessera: TesseraExpress, mount: (app: Express) => void): Express {
  const app = express();
  mount(app);
  const hello = (req: express.Request, res: express.Response): void => {
    res.json({ userId: req.auth?.status === 'authenticated' ? req.auth.userId : null });
  };
  app.get('/hello', tessera.requireAuth, hello);
  app.post('/hello', tessera.requireAuth, hello);
  return app;
}

/** A raw POST with a body of `bytes` bytes (a JSON object padded with spaces). */
function sizedJson(bytes: number): string {
  const head = JSON.stringify({ email: 'size@example.com', password: PASSWORD });
  return head.slice(0, -1) + ' '.repeat(bytes - head.length) + '}';
}

let f: Fixture;
before(async () => {
  f = await makeTessera();
});
after(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await f.auth.close();
});

describe('tessera/express: the journey', () => {
  it('signs up, guards a route (401 → 200), both modes, refresh, sign-out', async () => {
    const tessera = tesseraExpress({ auth: f.auth });
    await exerciseAuthFlow(await serve(appWith(tessera, (app) => app.use(tessera))));
  });

  it('works the same with express.json() before it, and leaves bodies of other routes to express.json() after it', async () => {
    const tessera = tesseraExpress({ auth: f.auth });
    await exerciseAuthFlow(await serve(appWith(tessera, (app) => app.use(express.json(), tessera))));

    const after = tesseraExpress({ auth: f.auth });
    const send = await serve(appWith(after, (app) => {
      app.use(after, express.json());
      app.post('/echo', (req, res) => {
        res.json({ echoed: req.body as unknown });
      });
    }));
    await exerciseAuthFlow(send);
    const echo = await send('/echo', postJson({ any: 'thing' }));
    assert.deepEqual(await echo.json(), { echoed: { any: 'thing' } });
  });

  it('answers under a custom prefix wherever it is mounted', async () => {
    const tessera = tesseraExpress({ auth: f.auth, routePrefix: '/api/auth' });
    const send = await serve(appWith(tessera, (app) => app.use('/api', tessera)));
    const r = await send('/api/auth/register', postJson({ email: 'prefix@example.com', password: PASSWORD }));
    assert.equal(r.status, 201);
    assert.equal((await send('/auth/register', postJson({ email: 'prefix2@example.com', password: PASSWORD }))).status, 404);
  });
});

describe('tessera/express: requireAuth', () => {
  it('answers token_expired for an expired access token, and 503 with Retry-After on a store outage', async () => {
    const own = await makeTessera();
    const tessera = tesseraExpress({ auth: own.auth });
    const send = await serve(appWith(tessera, (app) => app.use(tessera)));
    await send('/auth/register', postJson({ email: 'exp@example.com', password: PASSWORD }));
    const jwt = (await (await send('/auth/login', postJson({ email: 'exp@example.com', password: PASSWORD, mode: 'jwt' }))).json()) as { accessToken: string };
    const session = cookiePair(await send('/auth/login', postJson({ email: 'exp@example.com', password: PASSWORD })), 'tessera_session');

    own.store.getSessionAndUser = async () => {
      throw new Error('connection reset');
    };
    const outage = await send('/hello', { headers: { cookie: session } });
    assert.equal(outage.headers.get('retry-after'), '1');
    assert.equal(await errorCode(outage, 503), 'unavailable');

    own.clock.advanceSeconds(900 + 6);
    const expired = await send('/hello', { headers: { authorization: `Bearer ${jwt.accessToken}` } });
    assert.equal(expired.headers.get('www-authenticate'), 'Bearer realm="tessera", error="invalid_token"');
    assert.equal(await errorCode(expired, 401), 'token_expired');
    await own.auth.close();
  });

  it('refuses a cross-site state change carried by the session cookie (CSRF), but not a same-origin one', async () => {
    const tessera = tesseraExpress({ auth: f.auth });
    const send = await serve(appWith(tessera, (app) => app.use(tessera)));
    await send('/auth/register', postJson({ email: 'csrf@example.com', password: PASSWORD }));
    const cookie = cookiePair(await send('/auth/login', postJson({ email: 'csrf@example.com', password: PASSWORD })), 'tessera_session');
    assert.equal(await errorCode(await send('/hello', { method: 'POST', headers: { cookie, origin: 'https://evil.example' } }), 403), 'forbidden');
    assert.equal((await send('/hello', { method: 'POST', headers: { cookie } })).status, 200);
  });
});

describe('tessera/express: bodies and errors in the spec shape', () => {
  let bare: Send;
  let jsonFirst: Send;
  before(async () => {
    const a = tesseraExpress({ auth: f.auth });
    bare = await serve(appWith(a, (app) => app.use(a)));
    const b = tesseraExpress({ auth: f.auth });
    jsonFirst = await serve(appWith(b, (app) => app.use(express.json(), express.urlencoded(), express.text(), b)));
  });

  for (const [name, send] of [['alone', () => bare], ['after express.json()', () => jsonFirst]] as const) {
    it(`${name}: 400 for malformed JSON, 415 for other media types, 413 past 16 KiB`, async () => {
      const post = (body: string | Uint8Array, headers: Record<string, string>) => send()('/auth/login', { method: 'POST', headers, body });
      assert.equal(await errorCode(await post('{"email":', { 'content-type': 'application/json' }), 400), 'invalid_request');
      assert.equal(await errorCode(await post('email=a', { 'content-type': 'application/x-www-form-urlencoded' }), 415), 'unsupported_media_type');
      assert.equal(await errorCode(await post('hello', { 'content-type': 'text/plain' }), 415), 'unsupported_media_type');
      assert.equal(await errorCode(await post(sizedJson(16 * 1024 + 1), { 'content-type': 'application/json' }), 413), 'payload_too_large');
      // Exactly 16 KiB is within the limit: it reaches the route (which refuses the wrong password).
      assert.equal(await errorCode(await post(sizedJson(16 * 1024), { 'content-type': 'application/json' }), 401), 'invalid_credentials');
    });
  }

  it('413 for an over-long chunked body (no Content-Length), 415 for a compressed or untyped one', async () => {
    const big = new TextEncoder().encode(sizedJson(64 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < big.length; i += 4096) controller.enqueue(big.subarray(i, i + 4096));
        controller.close();
      },
    });
    const chunked = await bare('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    assert.equal(await errorCode(chunked, 413), 'payload_too_large');
    const gzip = gzipSync(JSON.stringify({ email: 'a@example.com', password: PASSWORD }));
    assert.equal(await errorCode(await bare('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzip }), 415), 'unsupported_media_type');
    assert.equal(await errorCode(await bare('/auth/login', { method: 'POST', body: new Uint8Array([123, 125]) }), 415), 'unsupported_media_type');
    // The server is still fine afterwards.
    assert.equal((await bare('/auth/me')).status, 401);
  });

  it('after express.json(): a parsed body is refused when its size cannot be checked (no Content-Length) or it was compressed', async () => {
    const small = JSON.stringify({ email: 'chunked@example.com', password: PASSWORD });
    // Read by Tessera itself, a small chunked body is fine; parsed by express.json() first,
    // nothing says how large it was any more (whitespace and repeated keys vanish in parsing).
    assert.equal(await errorCode(await bare('/auth/login', chunkedBody(small)), 401), 'invalid_credentials');
    assert.equal(await errorCode(await jsonFirst('/auth/login', chunkedBody(small)), 413), 'payload_too_large');
    assert.equal(await errorCode(await jsonFirst('/auth/login', chunkedBody(sizedJson(30 * 1024))), 413), 'payload_too_large');
    // With Content-Length, the parsed body is judged by it.
    assert.equal(await errorCode(await jsonFirst('/auth/login', postJson({ email: 'chunked@example.com', password: PASSWORD })), 401), 'invalid_credentials');
    const gzip = gzipSync(small);
    assert.equal(await errorCode(await jsonFirst('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzip }), 415), 'unsupported_media_type');
  });

  it('after express.json(): a malformed body on a route that reads none is ignored (405, or the GET answered)', async () => {
    const badJson = { 'content-type': 'application/json' };
    assert.deepEqual(await raw(jsonFirst, 'PUT', '/auth/login', badJson, '{"email":'), { status: 405, code: 'method_not_allowed' });
    assert.deepEqual(await raw(jsonFirst, 'GET', '/auth/me', badJson, '{"email":'), { status: 401, code: 'unauthorized' });
    assert.deepEqual(await raw(jsonFirst, 'POST', '/auth/login', badJson, '{"email":'), { status: 400, code: 'invalid_request' });
  });

  it('405 with Allow for a wrong method on an auth path; other paths fall through to the app', async () => {
    const login = await bare('/auth/login');
    assert.equal(login.headers.get('allow'), 'POST');
    assert.equal(await errorCode(login, 405), 'method_not_allowed');
    const me = await bare('/auth/me', { method: 'PUT' });
    assert.equal(me.headers.get('allow'), 'GET, HEAD');
    assert.equal(await errorCode(me, 405), 'method_not_allowed');
    assert.equal((await bare('/auth/sessions/abc', { method: 'GET' })).headers.get('allow'), 'DELETE');
    const head = await bare('/auth/me', { method: 'HEAD' });
    assert.equal(head.status, 401);
    assert.equal(await head.text(), '');
    assert.equal((await bare('/auth/nothing-here')).status, 404, "Express's own 404");
  });

  it('keeps Set-Cookie headers set earlier and sends each cookie in its own header', async () => {
    const tessera = tesseraExpress({ auth: f.auth });
    const send = await serve(appWith(tessera, (app) => {
      app.use((_req, res, next) => {
        res.append('set-cookie', 'theme=dark; Path=/');
        next();
      });
      app.use(tessera);
    }));
    await send('/auth/register', postJson({ email: 'cookies@example.com', password: PASSWORD }));
    const login = await send('/auth/login', postJson({ email: 'cookies@example.com', password: PASSWORD, mode: 'jwt' }));
    const names = login.headers.getSetCookie().map((c) => c.split('=')[0]);
    assert.deepEqual(names, ['theme', '__Secure-tessera_refresh']);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authenticateRequest, createWebHandler, requireAuth } from '../../src/adapters/web.js';
import type { WebHandler, WebRequestContext } from '../../src/adapters/web.js';
import type { Tessera } from '../../src/auth/tessera.js';
import { makeTessera } from '../auth/fixture.js';
import type { Fixture } from '../auth/fixture.js';
import { cookiePair, errorCode, exerciseAuthFlow, PASSWORD, postJson } from './auth-flow.js';
import type { Send } from './auth-flow.js';

// In-process: the handler is called with `new Request(…)`, as Hono, Bun, Deno or Next would.

const ORIGIN = 'http://app.test';

/** A fetch-style app: the auth API under /auth, and /hello behind requireAuth. */
function appOf(auth: Tessera, handleAuth: WebHandler, context?: WebRequestContext): Send {
  return async (path, init) => {
    const request = new Request(ORIGIN + path, init);
    if (path.startsWith('/auth/')) return handleAuth(request, context);
    const who = await requireAuth(auth, request);
    return who instanceof Response ? who : Response.json({ userId: who.userId });
  };
}

function sizedJson(bytes: number): string {
  const head = JSON.stringify({ email: 'size@example.com', password: PASSWORD });
  return head.slice(0, -1) + ' '.repeat(bytes - head.length) + '}';
}

let f: Fixture;
let handle: WebHandler;
let send: Send;
before(async () => {
  f = await makeTessera();
  handle = createWebHandler({ auth: f.auth });
  send = appOf(f.auth, handle);
});
after(async () => {
  await f.auth.close();
});

describe('tessera/web: the journey', () => {
  it('signs up, guards a route (401 → 200), both modes, refresh, sign-out', async () => {
    await exerciseAuthFlow(send);
  });

  it('authenticateRequest reads the Headers object', async () => {
    await send('/auth/register', postJson({ email: 'headers@example.com', password: PASSWORD }));
    const cookie = cookiePair(await send('/auth/login', postJson({ email: 'headers@example.com', password: PASSWORD })), 'tessera_session');
    const who = await authenticateRequest(f.auth, new Request(`${ORIGIN}/x`, { headers: { cookie } }));
    assert.equal(who.status, 'authenticated');
    assert.equal(who.status === 'authenticated' && who.mode, 'session');
    const nobody = await authenticateRequest(f.auth, new Request(`${ORIGIN}/x`));
    assert.deepEqual(nobody, { status: 'anonymous', reason: 'no_credentials', credentialSent: false });
  });

  it('requireAuth: token_expired for an expired access token, 503 with Retry-After on a store outage', async () => {
    const own = await makeTessera();
    const ownSend = appOf(own.auth, createWebHandler({ auth: own.auth }));
    await ownSend('/auth/register', postJson({ email: 'exp@example.com', password: PASSWORD }));
    const jwt = (await (await ownSend('/auth/login', postJson({ email: 'exp@example.com', password: PASSWORD, mode: 'jwt' }))).json()) as { accessToken: string };
    const cookie = cookiePair(await ownSend('/auth/login', postJson({ email: 'exp@example.com', password: PASSWORD })), 'tessera_session');
    own.store.getSessionAndUser = async () => {
      throw new Error('connection reset');
    };
    const outage = await ownSend('/hello', { headers: { cookie } });
    assert.equal(outage.headers.get('retry-after'), '1');
    assert.equal(await errorCode(outage, 503), 'unavailable');
    own.clock.advanceSeconds(900 + 6);
    assert.equal(await errorCode(await ownSend('/hello', { headers: { authorization: `Bearer ${jwt.accessToken}` } }), 401), 'token_expired');
    await own.auth.close();
  });
});

describe('tessera/web: routing, bodies and errors', () => {
  it('404 outside the prefix or for an unknown auth path; 405 with Allow for a wrong method', async () => {
    assert.equal(await errorCode(await handle(new Request(`${ORIGIN}/elsewhere`)), 404), 'not_found');
    assert.equal(await errorCode(await handle(new Request(`${ORIGIN}/auth/nothing`)), 404), 'not_found');
    assert.equal(await errorCode(await handle(new Request(`${ORIGIN}/authx/login`, { method: 'POST' })), 404), 'not_found');
    const login = await handle(new Request(`${ORIGIN}/auth/login`));
    assert.equal(login.headers.get('allow'), 'POST');
    assert.equal(await errorCode(login, 405), 'method_not_allowed');
    const me = await handle(new Request(`${ORIGIN}/auth/me`, { method: 'PATCH' }));
    assert.equal(me.headers.get('allow'), 'GET, HEAD');
    assert.equal(await errorCode(me, 405), 'method_not_allowed');
    const head = await handle(new Request(`${ORIGIN}/auth/me`, { method: 'HEAD' }));
    assert.equal(head.status, 401);
    assert.equal(head.body, null);
  });

  it('400 for malformed JSON or bad UTF-8, 415 for other media types or compressed bodies, 413 past 16 KiB', async () => {
    const post = (body: string | Uint8Array, headers: Record<string, string> = { 'content-type': 'application/json' }) => send('/auth/login', { method: 'POST', headers, body });
    assert.equal(await errorCode(await post('{"email":'), 400), 'invalid_request');
    assert.equal(await errorCode(await post(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])), 400), 'invalid_request');
    assert.equal(await errorCode(await post('hello', { 'content-type': 'text/plain' }), 415), 'unsupported_media_type');
    assert.equal(await errorCode(await post('{}', { 'content-type': 'application/json; charset=latin1' }), 415), 'unsupported_media_type');
    assert.equal(await errorCode(await post('{}', { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 415), 'unsupported_media_type');
    assert.equal(await errorCode(await post(sizedJson(16 * 1024 + 1)), 413), 'payload_too_large');
    assert.equal(await errorCode(await post(sizedJson(16 * 1024)), 401), 'invalid_credentials', 'exactly 16 KiB is accepted');
    // A streamed body without Content-Length is cut off at the limit, not buffered whole.
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(4096).fill(0x20));
      },
    });
    const streamed = await handle(new Request(`${ORIGIN}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: endless, duplex: 'half' } as RequestInit));
    assert.equal(await errorCode(streamed, 413), 'payload_too_large');
    assert.ok(pulled < 10, `read ${pulled} chunks`);
    // No body at all is an empty object: the schema names what is missing.
    assert.equal(await errorCode(await send('/auth/login', { method: 'POST' }), 400), 'invalid_request');
  });

  it('an empty body stream without Content-Length is no body (what @hono/node-server hands a bodyless DELETE)', async () => {
    await send('/auth/register', postJson({ email: 'empty-stream@example.com', password: PASSWORD }));
    const jwt = (await (await send('/auth/login', postJson({ email: 'empty-stream@example.com', password: PASSWORD, mode: 'jwt' }))).json()) as { accessToken: string };
    const cookie = cookiePair(await send('/auth/login', postJson({ email: 'empty-stream@example.com', password: PASSWORD })), 'tessera_session');
    const sessionId = ((await (await send('/auth/me', { headers: { cookie } })).json()) as { auth: { id: string } }).auth.id;
    const empty = (): RequestInit => ({ body: new ReadableStream<Uint8Array>({ start: (c) => c.close() }), duplex: 'half' } as RequestInit);
    const ended = await handle(new Request(`${ORIGIN}/auth/sessions/${sessionId}`, { method: 'DELETE', headers: { authorization: `Bearer ${jwt.accessToken}` }, ...empty() }));
    assert.equal(ended.status, 204);
    assert.equal((await send('/auth/me', { headers: { cookie } })).status, 401);
    const all = await handle(new Request(`${ORIGIN}/auth/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${jwt.accessToken}` }, ...empty() }));
    assert.equal(all.status, 204);
    // A non-empty body of that kind is still judged: a type is required.
    const untyped = await handle(new Request(`${ORIGIN}/auth/login`, { method: 'POST', body: new ReadableStream<Uint8Array>({ start: (c) => { c.enqueue(new TextEncoder().encode('{}')); c.close(); } }), duplex: 'half' } as RequestInit));
    assert.equal(await errorCode(untyped, 415), 'unsupported_media_type');
  });

  it('a body that a middleware already read is a clear 400, not a failed read', async () => {
    const request = new Request(`${ORIGIN}/auth/login`, postJson({ email: 'read@example.com', password: PASSWORD }));
    await request.json();
    const r = await handle(request);
    assert.equal(r.status, 400);
    const body = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'invalid_request');
    assert.match(body.error.message, /read before the auth handler/);
  });

  it('client address: the context ip, X-Forwarded-For only for trusted hops, or clientIp()', async () => {
    const ipOf = async (h: WebHandler, context: WebRequestContext | undefined, headers: Record<string, string> = {}): Promise<string> => {
      const email = `ip-${Math.random().toString(36).slice(2)}@example.com`;
      const s = appOf(f.auth, h, context);
      await s('/auth/register', postJson({ email, password: PASSWORD }));
      const cookie = cookiePair(await s('/auth/login', postJson({ email, password: PASSWORD }, headers)), 'tessera_session');
      const list = (await (await s('/auth/sessions', { headers: { cookie } })).json()) as { sessions: Array<{ ip: string }> };
      return list.sessions[0]!.ip;
    };
    const xff = { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' };
    assert.equal(await ipOf(handle, undefined), 'unknown');
    assert.equal(await ipOf(handle, { ip: '192.0.2.5' }, xff), '192.0.2.5');
    assert.equal(await ipOf(createWebHandler({ auth: f.auth, trustProxyHops: 1 }), { ip: '192.0.2.5' }, xff), '198.51.100.1');
    assert.equal(await ipOf(createWebHandler({ auth: f.auth, clientIp: () => '192.0.2.77' }), { ip: '192.0.2.5' }), '192.0.2.77');
  });

  it('takes the scheme from the URL for the origin check (CSRF), in the auth routes and in requireAuth', async () => {
    await send('/auth/register', postJson({ email: 'origin@example.com', password: PASSWORD }));
    const login = (origin: string) => handle(new Request('https://app.test/auth/login', postJson({ email: 'origin@example.com', password: PASSWORD }, { origin })));
    assert.equal((await login('https://app.test')).status, 200);
    assert.equal(await errorCode(await login('http://app.test'), 403), 'forbidden');
    assert.equal(await errorCode(await login('https://evil.example'), 403), 'forbidden');
    const cookie = cookiePair(await login('https://app.test'), 'tessera_session');
    const change = (origin: string) => requireAuth(f.auth, new Request('https://app.test/orders', { method: 'POST', headers: { cookie, origin } }));
    assert.ok(!((await change('https://app.test')) instanceof Response));
    const refused = await change('https://evil.example');
    assert.ok(refused instanceof Response);
    assert.equal(await errorCode(refused, 403), 'forbidden');
  });

  it('sends several Set-Cookie headers separately', async () => {
    await send('/auth/register', postJson({ email: 'multi@example.com', password: PASSWORD }));
    const jwt = (await (await send('/auth/login', postJson({ email: 'multi@example.com', password: PASSWORD, mode: 'jwt' }))).json()) as { refreshToken: string };
    const logout = await send('/auth/logout', postJson({ refreshToken: jwt.refreshToken }));
    assert.equal(logout.status, 204);
    assert.deepEqual(logout.headers.getSetCookie().map((c) => c.split('=')[0]), ['__Host-tessera_session', '__Secure-tessera_refresh']);
  });
});

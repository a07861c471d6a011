import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { tesseraFastify } from '../../src/adapters/fastify.js';
import { makeTessera } from '../auth/fixture.js';
import type { Fixture } from '../auth/fixture.js';
import { errorCode, exerciseAuthFlow, PASSWORD } from './auth-flow.js';
import type { Send } from './auth-flow.js';

// The Fastify plugin on the same journey as the other adapters, in a bare Fastify app (no
// server configuration): the spec's body rules must hold without the server's settings.

let f: Fixture;
let app: FastifyInstance;
let send: Send;
/** An app with parsers of its own (a form parser, a catch-all), registered before the plugin. */
let parsers: FastifyInstance;
let sendParsers: Send;
before(async () => {
  f = await makeTessera();
  app = Fastify();
  await app.register(tesseraFastify, { auth: f.auth });
  app.get('/hello', { preHandler: app.requireAuth }, async (req) => ({ userId: req.auth?.status === 'authenticated' ? req.auth.userId : null }));
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  send = (path, init) => fetch(base + path, init);

  parsers = Fastify();
  parsers.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  parsers.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, { raw: body }));
  await parsers.register(tesseraFastify, { auth: f.auth });
  parsers.post('/form', async (req) => ({ got: req.body }));
  const parsersBase = await parsers.listen({ port: 0, host: '127.0.0.1' });
  sendParsers = (path, init) => fetch(parsersBase + path, init);
});
after(async () => {
  await app.close();
  await parsers.close();
  await f.auth.close();
});

describe('tessera/fastify', () => {
  it('signs up, guards a route (401 → 200), both modes, refresh, sign-out', async () => {
    await exerciseAuthFlow(send);
  });

  it('400 for malformed JSON, 415 for text/plain, 413 past 16 KiB, 405 with Allow, in a bare app', async () => {
    const post = (body: string, type: string) => send('/auth/login', { method: 'POST', headers: { 'content-type': type }, body });
    assert.equal(await errorCode(await post('{"email":', 'application/json'), 400), 'invalid_request');
    assert.equal(await errorCode(await post('hello', 'text/plain'), 415), 'unsupported_media_type');
    const big = JSON.stringify({ email: 'a@example.com', password: PASSWORD, pad: ' '.repeat(16 * 1024) });
    assert.equal(await errorCode(await post(big, 'application/json'), 413), 'payload_too_large');
    const wrong = await send('/auth/login');
    assert.equal(wrong.headers.get('allow'), 'POST');
    assert.equal(await errorCode(wrong, 405), 'method_not_allowed');
  });

  it('judges bodies by the library rules, not by Fastify parsers or the application ones', async () => {
    await send('/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'rules@example.com', password: PASSWORD }) });
    const login = { email: 'rules@example.com', password: PASSWORD };
    for (const s of [send, sendParsers]) {
      const post = (body: string | Uint8Array, headers: Record<string, string>) => s('/auth/login', { method: 'POST', headers, body });
      // Another charset, or bytes that are not UTF-8 (Fastify's parser would have replaced
      // them, so that two different passwords became one), are refused.
      assert.equal(await errorCode(await post(JSON.stringify(login), { 'content-type': 'application/json; charset=latin1' }), 415), 'unsupported_media_type');
      const invalidUtf8 = new Uint8Array([...new TextEncoder().encode('{"email":"rules@example.com","password":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
      assert.equal(await errorCode(await post(invalidUtf8, { 'content-type': 'application/json' }), 400), 'invalid_request');
      assert.equal(await errorCode(await post(gzipSync(JSON.stringify(login)), { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 415), 'unsupported_media_type');
      // A structured-syntax JSON type is JSON, as in the other adapters.
      assert.equal((await post(JSON.stringify(login), { 'content-type': 'application/vnd.api+json' })).status, 200);
      // The application's form and catch-all parsers do not reach the auth API.
      assert.equal(await errorCode(await post(new URLSearchParams(login).toString(), { 'content-type': 'application/x-www-form-urlencoded' }), 415), 'unsupported_media_type');
      assert.equal(await errorCode(await post('hello', { 'content-type': 'text/plain' }), 415), 'unsupported_media_type');
      assert.equal(await errorCode(await post('x'.repeat(17 * 1024), { 'content-type': 'text/plain' }), 413), 'payload_too_large');
      // An unknown path under the prefix is the spec's 404.
      assert.equal(await errorCode(await s('/auth/nothing-here'), 404), 'not_found');
    }
    // The application's own routes keep its parsers.
    const form = await sendParsers('/form', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    assert.deepEqual(await form.json(), { got: { a: '1' } });
  });
});

describe('tessera/fastify: a store outage', () => {
  it('is 503 with Retry-After on /auth/me and behind requireAuth (never 401 or 200), and recovers', async () => {
    const own = await makeTessera();
    const outageApp = Fastify();
    await outageApp.register(tesseraFastify, { auth: own.auth });
    outageApp.get('/hello', { preHandler: outageApp.requireAuth }, async () => ({ ok: true }));
    try {
      const base = await outageApp.listen({ port: 0, host: '127.0.0.1' });
      const post = (path: string, body: unknown) => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await post('/auth/register', { email: 'outage@example.com', password: PASSWORD });
      const login = await post('/auth/login', { email: 'outage@example.com', password: PASSWORD });
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
      const lookUp = own.store.getSessionAndUser.bind(own.store);
      own.store.getSessionAndUser = async () => { throw new Error('connection reset'); };
      for (const path of ['/auth/me', '/hello']) {
        const res = await fetch(base + path, { headers: { cookie } });
        assert.equal(res.headers.get('retry-after'), '1', path);
        assert.equal(await errorCode(res, 503), 'unavailable', path);
      }
      own.store.getSessionAndUser = lookUp;
      for (const path of ['/auth/me', '/hello']) assert.equal((await fetch(base + path, { headers: { cookie } })).status, 200, path);
    } finally {
      await outageApp.close();
      await own.auth.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
before(async () => {
  f = await makeTessera();
  app = Fastify();
  await app.register(tesseraFastify, { auth: f.auth });
  app.get('/hello', { preHandler: app.requireAuth }, async (req) => ({ userId: req.auth?.status === 'authenticated' ? req.auth.userId : null }));
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  send = (path, init) => fetch(base + path, init);
});
after(async () => {
  await app.close();
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
});

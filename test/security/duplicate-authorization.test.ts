/**
 * Regression test for defect 1 of docs/reliability.md: Node's HTTP parser keeps only the
 * first of several `Authorization` headers, so a request carrying two was authenticated with
 * the first one. The adapters now restore every line from `rawHeaders` and the core refuses
 * the request as ambiguous. Checked on real sockets for the library's Fastify plugin and
 * Express middleware, on their own `requireAuth` guards as well as on the auth routes; the
 * server (built on the Fastify plugin) is covered by jwt-corpus.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { tesseraExpress } from '../../packages/tessera/src/adapters/express.js';
import { tesseraFastify } from '../../packages/tessera/src/adapters/fastify.js';
import { makeTessera, signedIn } from '../../packages/tessera/test/auth/fixture.js';
import type { Fixture } from '../../packages/tessera/test/auth/fixture.js';
import { parseRawResponses, rawRequest } from './helpers.js';

let f: Fixture;
let token: string;
let expressPort: number;
let fastifyPort: number;
let server: Server;
let fastify: FastifyInstance;

before(async () => {
  f = await makeTessera();
  token = (await signedIn(f, 'jwt')).headers.authorization!.slice('Bearer '.length);

  const tessera = tesseraExpress({ auth: f.auth });
  const app = express();
  app.use(tessera);
  app.get('/hello', tessera.requireAuth, (_req, res) => {
    res.json({ ok: true });
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  expressPort = (server.address() as AddressInfo).port;

  fastify = Fastify();
  await fastify.register(tesseraFastify, { auth: f.auth });
  fastify.get('/hello', { preHandler: fastify.requireAuth }, async () => ({ ok: true }));
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  fastifyPort = (fastify.server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await fastify.close();
  await f.auth.close();
});

async function statusOf(port: number, path: string, authorizations: string[]): Promise<number> {
  const raw = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${authorizations.map((a) => `Authorization: ${a}\r\n`).join('')}Connection: close\r\n\r\n`);
  const [res] = parseRawResponses(raw);
  assert.ok(res, raw.slice(0, 200));
  return res.status;
}

for (const [name, port] of [['express', () => expressPort], ['fastify', () => fastifyPort]] as const) {
  describe(`tessera/${name}: two Authorization headers are refused`, () => {
    for (const path of ['/auth/me', '/hello']) {
      it(`${path}: one header 200; two (valid first, valid twice, garbage first) 401`, async () => {
        assert.equal(await statusOf(port(), path, [`Bearer ${token}`]), 200);
        assert.equal(await statusOf(port(), path, [`Bearer ${token}`, 'Bearer x.y.z']), 401);
        assert.equal(await statusOf(port(), path, [`Bearer ${token}`, `Bearer ${token}`]), 401);
        assert.equal(await statusOf(port(), path, ['Basic Zm9vOmJhcg==', `Bearer ${token}`]), 401);
      });
    }
  });
}

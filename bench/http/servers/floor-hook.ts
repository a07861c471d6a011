import { createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import Fastify from 'fastify';
import { createFloorVerifier } from '../../micro/floor.js';
import type { Alg } from '../../micro/floor.js';
import { BODY, UNAUTHORIZED, listenFastify, required } from './common.js';

// A Fastify hook doing the raw node:crypto verification of the bearer token (the floor of
// bench/micro/floor.ts) with the public key of the Tessera server under test
// (BENCH_PUBLIC_JWK, BENCH_ALG): what "a token never seen before" is compared with.

const verify = createFloorVerifier(required('BENCH_ALG') as Alg, createPublicKey({ key: JSON.parse(required('BENCH_PUBLIC_JWK')) as JsonWebKey, format: 'jwk' }));
const app = Fastify();

app.get('/auth/me', {
  onRequest: async (request, reply) => {
    const header = request.headers.authorization;
    const claims = header?.startsWith('Bearer ') ? verify(header.slice(7), Math.floor(Date.now() / 1000)) : null;
    if (claims === null || claims === undefined) {
      reply.code(401).type('application/json').send(UNAUTHORIZED);
      return reply;
    }
    (request as unknown as { user: unknown }).user = claims;
  },
  handler: (_request, reply) => {
    reply.type('application/json').send(BODY);
  },
});
app.get('/__bench/login', () => ({ headers: {} }));
await listenFastify(app);

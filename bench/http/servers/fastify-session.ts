import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { BODY, UNAUTHORIZED, listenFastify } from './common.js';

// @fastify/session as its README shows it: @fastify/cookie, then the plugin with a secret,
// its default in-memory store. `cookie.secure: false` because the benchmark speaks plain
// HTTP (a Secure cookie would never be set). Argument: `rolling` (the default) | `no-rolling`.

declare module 'fastify' {
  interface Session {
    user?: { id: string };
  }
}

const rolling = process.argv[2] !== 'no-rolling';
const app = Fastify();
await app.register(fastifyCookie);
await app.register(fastifySession, { secret: randomBytes(32).toString('hex'), cookie: { secure: false }, rolling });

app.get('/auth/me', (request, reply) => {
  if (request.session.get('user') === undefined) {
    reply.code(401).type('application/json').send(UNAUTHORIZED);
    return;
  }
  reply.type('application/json').send(BODY);
});
app.get('/__bench/login', (request, reply) => {
  request.session.set('user', { id: randomBytes(16).toString('base64url') });
  reply.send({});
});
await listenFastify(app);

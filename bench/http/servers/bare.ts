import Fastify from 'fastify';
import { BODY, listenFastify } from './common.js';

// Bare Fastify: the framework floor. /auth/me answers a constant body of Tessera's size.
const app = Fastify();
app.get('/auth/me', (_request, reply) => {
  reply.type('application/json').send(BODY);
});
app.get('/__bench/login', (_request, reply) => {
  reply.send({ headers: {} });
});
await listenFastify(app);

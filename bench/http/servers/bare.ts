import Fastify from 'fastify';
import { BODY, listenFastify } from './common.js';

// Bare Fastify: the framework floor. /auth/me answers a constant body of Tessera's size.
//
// With BENCH_HEADERS (a JSON object: response headers to add) and BENCH_CREDENTIAL (a JSON
// object: the request headers /__bench/login hands out, sent with every request and never
// read), it exchanges the same bytes as a Tessera row, with no auth work at all: what the
// larger request (a 300-character bearer token) and the security headers cost by themselves.
const extraHeaders = JSON.parse(process.env.BENCH_HEADERS ?? '{}') as Record<string, string>;
const credential = JSON.parse(process.env.BENCH_CREDENTIAL ?? '{}') as Record<string, string>;
const app = Fastify();
if (Object.keys(extraHeaders).length === 0) {
  app.get('/auth/me', (_request, reply) => {
    reply.type('application/json').send(BODY);
  });
} else {
  app.get('/auth/me', (_request, reply) => {
    reply.headers(extraHeaders).type('application/json').send(BODY);
  });
}
app.get('/__bench/login', (_request, reply) => {
  reply.send({ headers: credential });
});
await listenFastify(app);

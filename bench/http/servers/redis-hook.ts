import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { BODY, UNAUTHORIZED, cookieValue, listenFastify, required } from './common.js';

// A hand-written Fastify hook doing one Redis GET per request (ioredis without auto-pipelining,
// as Tessera's Redis store uses it): the floor of any Redis-backed session check.

const prefix = `${required('BENCH_REDIS_PREFIX')}hook:`;
const redis = new Redis(required('BENCH_REDIS_URL'), { enableAutoPipelining: false });
const app = Fastify();

app.get('/auth/me', {
  onRequest: async (request, reply) => {
    const sid = cookieValue(request.headers.cookie, 'sid');
    const record = sid === undefined ? null : await redis.get(prefix + sid);
    if (record === null) {
      reply.code(401).type('application/json').send(UNAUTHORIZED);
      return reply;
    }
    (request as unknown as { user: unknown }).user = JSON.parse(record);
  },
  handler: (_request, reply) => {
    reply.type('application/json').send(BODY);
  },
});
app.get('/__bench/login', async () => {
  const sid = randomBytes(32).toString('base64url');
  await redis.set(prefix + sid, JSON.stringify({ userId: randomBytes(16).toString('base64url'), expiresAt: Date.now() + 86_400_000 }), 'EX', 3600);
  return { headers: { cookie: `sid=${sid}` } };
});
await listenFastify(app);

import { once } from 'node:events';
import Fastify from 'fastify';
import { createTessera } from 'tessera';
import { tesseraFastify } from 'tessera/fastify';
import { createRedisClient, createRedisStore } from 'tessera/redis';
import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite';
import { BODY, listenFastify, required } from './common.js';

// Tessera as a library, set up the way the README's Fastify snippet (examples/fastify-app)
// sets it up, as each peer is set up the way its README says: the plugin (its /auth/me) and
// `app.requireAuth` guarding a route of the application that answers the peers' constant
// body (/app/me), the like-for-like of a peer's hook. No `tessera serve` extras: no metrics,
// security headers, request logger or timeouts. SQLite file in BENCH_DATA_DIR (tessera.db,
// where the harness reads the signing key to mint never-seen tokens). With BENCH_REDIS_URL,
// session records go to Redis (keys under BENCH_REDIS_PREFIX) in front of that SQLite file,
// as `tessera serve` keeps them with TESSERA_REDIS_URL: the Redis rows' like-for-like.

// Measured as its users run it, from its build: tsx maps `tessera` to the TypeScript sources
// under the root tsconfig's `paths` (bench/lib/built.ts says what that would add).
if (!import.meta.resolve('tessera').includes('/packages/tessera/dist/')) {
  throw new Error(`tessera resolves to ${import.meta.resolve('tessera')}, not to its build: start this server with BUILT_RESOLUTION_ENV (bench/lib/built.ts)`);
}

const database = createSqliteStore(openSqliteDatabase(`${required('BENCH_DATA_DIR')}/tessera.db`));
const redisUrl = process.env.BENCH_REDIS_URL;
const client = redisUrl ? createRedisClient(redisUrl) : undefined;
if (client) await once(client, 'ready');
const store = client ? createRedisStore({ client, database, keyPrefix: required('BENCH_REDIS_PREFIX') }) : database;
await store.migrate();
const auth = await createTessera({ store, issuer: 'http://127.0.0.1' });
const app = Fastify();
await app.register(tesseraFastify, { auth });
app.get('/app/me', { preHandler: app.requireAuth }, (_request, reply) => {
  reply.type('application/json').send(BODY);
});
await listenFastify(app);

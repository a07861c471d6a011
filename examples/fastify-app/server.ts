// Tessera in a Fastify app: the auth API under /auth and one protected route.
// Run: node --import tsx examples/fastify-app/server.ts
import Fastify from 'fastify';
import { createTessera } from 'tessera';
import { tesseraFastify } from 'tessera/fastify';
import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite';

const port = Number(process.env.PORT ?? 3000);
const store = createSqliteStore(openSqliteDatabase(`${process.env.TESSERA_DATA_DIR ?? './data'}/tessera.db`));
await store.migrate();
const auth = await createTessera({ store, issuer: `http://127.0.0.1:${port}` });

const app = Fastify();
await app.register(tesseraFastify, { auth }); // POST /auth/register, /auth/login, /auth/logout, GET /auth/me, …
app.get('/hello', { preHandler: app.requireAuth }, async (req) => {
  return { userId: req.auth?.status === 'authenticated' ? req.auth.userId : null };
});

await app.listen({ port, host: '127.0.0.1' });
console.log(`listening on http://127.0.0.1:${port}`);

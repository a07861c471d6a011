// Tessera in a Hono app (on Node): the auth API under /auth and one protected route.
// Run: node --import tsx examples/hono-app/server.ts
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { createTessera } from 'tessera';
import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite';
import { createWebHandler, requireAuth } from 'tessera/web';

const port = Number(process.env.PORT ?? 3000);
const store = createSqliteStore(openSqliteDatabase(`${process.env.TESSERA_DATA_DIR ?? './data'}/tessera.db`));
await store.migrate();
const auth = await createTessera({ store, issuer: `http://127.0.0.1:${port}` });

const app = new Hono();
const handleAuth = createWebHandler({ auth });
app.all('/auth/*', (c) => handleAuth(c.req.raw, { ip: getConnInfo(c).remote.address })); // POST /auth/login, …
app.get('/hello', async (c) => {
  const who = await requireAuth(auth, c.req.raw);
  return who instanceof Response ? who : c.json({ userId: who.userId });
});

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`listening on http://127.0.0.1:${port}`));

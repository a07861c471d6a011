// Tessera in an Express app: the auth API under /auth and one protected route.
// Run: node --import tsx examples/express-app/server.ts
import express from 'express';
import { createTessera } from 'tessera';
import { tesseraExpress } from 'tessera/express';
import { createSqliteStore, openSqliteDatabase } from 'tessera/sqlite';

const port = Number(process.env.PORT ?? 3000);
const store = createSqliteStore(openSqliteDatabase(`${process.env.TESSERA_DATA_DIR ?? './data'}/tessera.db`));
await store.migrate();
const auth = await createTessera({ store, issuer: `http://127.0.0.1:${port}` });

const app = express();
const tessera = tesseraExpress({ auth });
app.use(tessera); // POST /auth/register, /auth/login, /auth/logout, GET /auth/me, …
app.get('/hello', tessera.requireAuth, (req, res) => {
  res.json({ userId: req.auth?.status === 'authenticated' ? req.auth.userId : null });
});

app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));

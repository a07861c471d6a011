import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { BODY, UNAUTHORIZED, cookieValue, listenFastify, required } from './common.js';

// A hand-written Fastify hook doing one better-sqlite3 SELECT by primary key per request
// (prepared once; WAL, synchronous=NORMAL like Tessera's SQLite store): the floor of any
// SQLite-backed session check. The database file lives in the harness's temp dir.

const db = new Database(required('BENCH_SQLITE_PATH'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL)');
const select = db.prepare<[string], { user_id: string; expires_at: number }>('SELECT user_id, expires_at FROM sessions WHERE id = ?');
const insert = db.prepare<[string, string, number]>('INSERT INTO sessions (id, user_id, expires_at) VALUES (?, ?, ?)');
const app = Fastify();

app.get('/auth/me', {
  onRequest: async (request, reply) => {
    const sid = cookieValue(request.headers.cookie, 'sid');
    const row = sid === undefined ? undefined : select.get(sid);
    if (row === undefined || row.expires_at <= Date.now()) {
      reply.code(401).type('application/json').send(UNAUTHORIZED);
      return reply;
    }
    (request as unknown as { user: unknown }).user = row;
  },
  handler: (_request, reply) => {
    reply.type('application/json').send(BODY);
  },
});
app.get('/__bench/login', () => {
  const sid = randomBytes(32).toString('base64url');
  insert.run(sid, randomBytes(16).toString('base64url'), Date.now() + 86_400_000);
  return { headers: { cookie: `sid=${sid}` } };
});
await listenFastify(app);

import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { BODY, UNAUTHORIZED, cookieValue, listenFastify, required } from './common.js';

// A hand-written Fastify hook doing one PostgreSQL SELECT by primary key per request (node-pg,
// a named prepared statement, a pool of 10 as `tessera serve` opens): the floor of any check
// that reads PostgreSQL on every request, such as the user read behind Tessera's Redis session
// records in the spec's scale-out deployment. Its table lives in BENCH_PG_SCHEMA, which the
// harness drops afterwards.

const schema = required('BENCH_PG_SCHEMA');
if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`BENCH_PG_SCHEMA must be a plain identifier, got ${schema}`);
const pool = new pg.Pool({ connectionString: required('BENCH_DATABASE_URL'), max: 10 });
await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
await pool.query(`CREATE TABLE IF NOT EXISTS ${schema}.sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at BIGINT NOT NULL)`);
const select = `SELECT user_id, expires_at FROM ${schema}.sessions WHERE id = $1`;
const app = Fastify();

app.get('/auth/me', {
  onRequest: async (request, reply) => {
    const sid = cookieValue(request.headers.cookie, 'sid');
    const row = sid === undefined ? undefined : (await pool.query<{ user_id: string; expires_at: string }>({ name: 'hook_session', text: select, values: [sid] })).rows[0];
    if (row === undefined || Number(row.expires_at) <= Date.now()) {
      reply.code(401).type('application/json').send(UNAUTHORIZED);
      return reply;
    }
    (request as unknown as { user: unknown }).user = row;
  },
  handler: (_request, reply) => {
    reply.type('application/json').send(BODY);
  },
});
app.get('/__bench/login', async () => {
  const sid = randomBytes(32).toString('base64url');
  await pool.query(`INSERT INTO ${schema}.sessions (id, user_id, expires_at) VALUES ($1, $2, $3)`, [sid, randomBytes(16).toString('base64url'), Date.now() + 86_400_000]);
  return { headers: { cookie: `sid=${sid}` } };
});
await listenFastify(app);

import { randomBytes } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { BODY, UNAUTHORIZED, announce, required } from './common.js';

// express-session with connect-redis as connect-redis's README shows it (resave: false,
// saveUninitialized: false), on the `redis` client; keys under BENCH_REDIS_PREFIX, which the
// harness deletes afterwards. `cookie.secure: false` because the benchmark speaks plain HTTP.

declare module 'express-session' {
  interface SessionData {
    user?: { id: string };
  }
}

const client = createClient({ url: required('BENCH_REDIS_URL') });
client.on('error', () => {});
await client.connect();

const app = express();
app.use(
  session({
    store: new RedisStore({ client, prefix: `${required('BENCH_REDIS_PREFIX')}sess:` }),
    resave: false,
    saveUninitialized: false,
    secret: randomBytes(32).toString('hex'),
    cookie: { secure: false },
  }),
);
app.get('/auth/me', (req, res) => {
  if (req.session.user === undefined) {
    res.status(401).type('application/json').send(UNAUTHORIZED);
    return;
  }
  res.type('application/json').send(BODY);
});
app.get('/__bench/login', (req, res) => {
  req.session.user = { id: randomBytes(16).toString('base64url') };
  res.json({});
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  announce(typeof address === 'object' && address !== null ? address.port : 0);
});

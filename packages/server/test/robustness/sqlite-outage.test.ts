/**
 * The default deployment's store outage: another connection holds SQLite's write lock (a
 * second process writing, a `VACUUM`). The spec: 503 with Retry-After within a bounded time,
 * no hang, no anonymous 200, recovery on its own. better-sqlite3 waits for a lock inside the
 * call, blocking the event loop, so the bound is also how long every other request waits.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { startTestServer, signUpAndIn, GOOD_PASSWORD } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

let s: TestServer;
let base: string;

before(async () => {
  s = await startTestServer();
  await s.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await s.dispose();
});

const register = (email: string) => fetch(`${base}/auth/register`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email, password: GOOD_PASSWORD }),
});

test('SQLite locked by another connection: writes get 503 + Retry-After within a second, reads and the rest of the server keep answering, then it recovers', async (t) => {
  const who = await signUpAndIn(s, 'session');
  const other = new BetterSqlite3(join(s.dataDir, 'tessera.db'));
  try {
    other.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    const refused = register(`locked-${Date.now()}@example.com`);
    // While the sign-up waits for the lock, the event loop is blocked for at most the busy
    // timeout at a time: a health check sent meanwhile is answered well within a second.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const healthStarted = performance.now();
    const health = await fetch(`${base}/healthz`);
    const healthMs = performance.now() - healthStarted;
    const res = await refused;
    const elapsed = performance.now() - started;
    assert.equal(health.status, 200);
    assert.ok(healthMs < 1_000, `/healthz took ${Math.round(healthMs)} ms during the lock`);
    assert.equal(res.status, 503, await res.clone().text());
    assert.deepEqual(await res.json(), { error: { code: 'unavailable', message: 'The service is temporarily unavailable.' } });
    assert.ok(Number(res.headers.get('retry-after')) >= 1, `Retry-After ${res.headers.get('retry-after')}`);
    assert.ok(elapsed < 3_000, `the refusal took ${Math.round(elapsed)} ms`);
    t.diagnostic(`sign-up refused after ${Math.round(elapsed)} ms; /healthz answered in ${Math.round(healthMs)} ms meanwhile`);
    // WAL: a cookie check reads past the writer's lock (no renewal write is due yet).
    const me = await fetch(`${base}/auth/me`, { headers: who.headers });
    assert.equal(me.status, 200, await me.text());
    // Readiness pings with a read, which the lock does not stop: the instance still serves
    // what it can (docs/scaling.md, "Outages").
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  const recovered = await register(`after-${Date.now()}@example.com`);
  assert.equal(recovered.status, 201, await recovered.text());
  assert.doesNotMatch(s.logText(), /"statusCode":500/, 'no request was answered 500');
  assert.match(s.logText(), /"statusCode":503/, 'the refusal is in the access log');
});

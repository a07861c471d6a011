import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

/** The access lines of the server's log so far. */
function accessLines(s: TestServer): Array<Record<string, unknown>> {
  return s.logText().split('\n').filter((l) => l.includes('"request completed"')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Three requests: a 200, a 401 with a token in the query string, a 404. */
async function threeRequests(s: TestServer): Promise<void> {
  assert.equal((await s.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  assert.equal((await s.app.inject({ method: 'GET', url: '/auth/me?access_token=S3cret-in-query' })).statusCode, 401);
  assert.equal((await s.app.inject({ method: 'GET', url: '/no/such/route' })).statusCode, 404);
  // Access lines reach the stream at the end of the event-loop turn (access-log.ts).
  await new Promise((resolve) => setImmediate(resolve));
}

test('tessera serve at info: one access line per request, when it completes, without the query string', async () => {
  const s = await startTestServer();
  try {
    await threeRequests(s);
    assert.deepEqual(accessLines(s).map((l) => [(l.req as { url: string }).url, (l.res as { statusCode: number }).statusCode]), [
      ['/healthz', 200],
      ['/auth/me', 401],
      ['/no/such/route', 404],
    ]);
    assert.ok(!s.logText().includes('incoming request'), 'one line per request, not two');
    assert.ok(!s.logText().includes('S3cret'));
  } finally {
    await s.dispose();
  }
});

test('TESSERA_ACCESS_LOG=false: no access line, the level unchanged for every other line', async () => {
  const s = await startTestServer({ env: { TESSERA_ACCESS_LOG: 'false' } });
  try {
    await threeRequests(s);
    assert.deepEqual(accessLines(s), []);
    assert.equal(s.app.log.level, 'info');
  } finally {
    await s.dispose();
  }
});

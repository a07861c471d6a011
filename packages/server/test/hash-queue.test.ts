import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createArgon2Hasher } from 'tessera';
import { body, GOOD_PASSWORD, startTestServer } from './helpers/test-server.js';
import type { TestServer } from './helpers/test-server.js';

describe('password hashing under a login storm', () => {
  let s: TestServer;
  before(async () => {
    // Real OWASP cost, one hash at a time, two waiting: the third concurrent hash is shed.
    s = await startTestServer({ passwordHasher: createArgon2Hasher({ concurrency: 1, maxQueue: 2 }) });
    const res = await s.app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'storm@example.com', password: GOOD_PASSWORD } });
    assert.equal(res.statusCode, 201);
  });
  after(async () => { await s.dispose(); });

  it('a full queue answers 503 unavailable with Retry-After, never a 500 or unbounded waiting', async () => {
    const attempts = await Promise.all(Array.from({ length: 12 }, (_, i) => s.app.inject({
      method: 'POST', url: '/auth/login', remoteAddress: `198.51.100.${i + 1}`,
      payload: { email: 'storm@example.com', password: GOOD_PASSWORD },
    })));
    const statuses = attempts.map((r) => r.statusCode);
    assert.ok(statuses.every((c) => c === 200 || c === 503), statuses.join(','));
    const shed = attempts.filter((r) => r.statusCode === 503);
    assert.ok(shed.length >= 12 - 3, `at most 1 in flight + 2 queued succeed: ${statuses.join(',')}`);
    assert.ok(statuses.includes(200));
    for (const r of shed) {
      assert.deepEqual(body(r), { error: { code: 'unavailable', message: 'The service is temporarily unavailable.' } });
      assert.ok(Number(r.headers['retry-after']) >= 1);
    }
    // The queue drains: a later sign-in works.
    const later = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'storm@example.com', password: GOOD_PASSWORD } });
    assert.equal(later.statusCode, 200);
  });
});

// POST /admin/bench: a short benchmark of the two modes, run in a child process, for holders of
// an admin key only, one at a time, never started by another site's page. Runs are 1 s per mode.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { createShortBench } from '../../src/short-bench.js';
import { assertError, assertRateLimited } from '../helpers/http-assertions.js';
import { body, signUpAndIn, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

const ADMIN_KEY = 'YWRtaW4ta2V5LWZvci10aGUtYmVuY2gtdGVzdHMtMDE';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
/** inject() sends `host: localhost:80`: this is the request's own origin. */
const OWN_ORIGIN = 'http://localhost';
const ONE_SECOND = { durationSeconds: 1, warmupSeconds: 0, connections: 2 };

const bench = (headers: Record<string, string | undefined>, payload: unknown = ONE_SECOND): InjectOptions =>
  ({ method: 'POST', url: '/admin/bench', headers: headers as Record<string, string>, ...(payload === undefined ? {} : { payload: payload as object }) });

describe('POST /admin/bench', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer({ env: { TESSERA_ADMIN_KEYS: ADMIN_KEY } }); });
  after(async () => { await s.dispose(); });

  it('401 with WWW-Authenticate without an admin key, with a wrong one, or with a user\'s access token', async () => {
    const user = await signUpAndIn(s, 'jwt');
    for (const headers of [{}, { authorization: 'Bearer wrong-key-wrong-key-wrong-key-wrong' }, user.headers, { authorization: `Basic ${ADMIN_KEY}` }]) {
      const res = await s.app.inject(bench(headers));
      assertError(res, 401, 'unauthorized', JSON.stringify(headers));
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tessera"/);
      assert.equal(res.headers['cache-control'], 'no-store');
    }
  });

  it('403 forbidden from another site\'s page, even with the admin key (CSRF rule of state-changing requests)', async () => {
    for (const extra of [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }]) {
      assertError(await s.app.inject(bench({ ...admin, ...extra })), 403, 'forbidden', JSON.stringify(extra));
    }
  });

  it('400 invalid_request for settings outside the short run\'s bounds', async () => {
    for (const payload of [{ durationSeconds: 0 }, { durationSeconds: 6 }, { durationSeconds: '2' }, { durationSeconds: 1.5 }, { warmupSeconds: 3 }, { connections: 33 }, { rounds: 3 }, [1]]) {
      assertError(await s.app.inject(bench(admin, payload)), 400, 'invalid_request', JSON.stringify(payload));
    }
    // An unknown field's name is input: the message does not repeat it.
    const unknown = await s.app.inject(bench(admin, { 'my-secret-value-abc123': 1 }));
    assertError(unknown, 400, 'invalid_request');
    assert.ok(!unknown.body.includes('my-secret-value'), unknown.body);
  });

  it('405 with Allow for other methods', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/admin/bench', headers: admin });
    assertError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.allow, 'POST');
  });

  it('one run at a time: a second request while one runs is 429 with Retry-After; the run answers numbers for both modes', { timeout: 90_000 }, async () => {
    const user = await signUpAndIn(s, 'session');
    // The page's own origin passes the origin check, as the lab's request does.
    const first = s.app.inject(bench({ ...admin, origin: OWN_ORIGIN, 'sec-fetch-site': 'same-origin' }));
    // Let the first request reach its handler (and fork its child) before the second.
    await new Promise((resolve) => setTimeout(resolve, 300));
    // No body at all: every setting takes its default (curl -X POST works).
    const second = await s.app.inject(bench(admin, undefined));
    const retryAfter = assertRateLimited(second, 'second run', 10);
    assert.match(body(second).error.message, /already running/);
    assert.ok(retryAfter >= 1);
    // The load runs against the child's own throwaway server: this one keeps answering at once.
    const started = performance.now();
    assert.equal((await s.app.inject({ url: '/auth/me', headers: user.headers })).statusCode, 200);
    assert.ok(performance.now() - started < 1000, 'the live server is not blocked by the run');

    const res = await first;
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const report = body(res);
    assert.equal(report.run, 'short');
    assert.ok(Date.now() - Date.parse(report.generatedAt) < 60_000, report.generatedAt);
    assert.equal(report.durationSeconds, 1);
    assert.equal(report.warmupSeconds, 0);
    assert.equal(report.connections, 2);
    assert.equal(report.endpoint, 'GET /auth/me');
    assert.equal(typeof report.machine.cpuModel, 'string');
    assert.ok(report.machine.nproc >= 1);
    assert.deepEqual(report.results.map((r: { mode: string }) => r.mode), ['session', 'jwt']);
    for (const r of report.results) {
      assert.ok(r.requestsPerSecond > 0 && r.requests > 0, JSON.stringify(r));
      // Latency in whole milliseconds (autocannon's resolution): below 1 ms it reads 0.
      assert.ok(Number.isFinite(r.p99Ms) && r.p99Ms >= r.p50Ms && r.p50Ms >= 0, JSON.stringify(r));
      assert.equal(r.errors, 0);
    }
    assert.ok(report.results[1].credentialBytes > report.results[0].credentialBytes);

    // The run is over: the next one may start (and is refused here only for its bad body).
    assertError(await s.app.inject(bench(admin, { durationSeconds: 9 })), 400, 'invalid_request');
    assert.match(s.logText(), /short benchmark finished/);
    assert.ok(!s.logText().includes(ADMIN_KEY), 'the key is never logged');
  });

});

describe('POST /admin/bench without admin keys', () => {
  it('is 401, and the page learns from /ui/config.json that it cannot be offered', async () => {
    const plain = await startTestServer();
    try {
      assertError(await plain.app.inject(bench(admin)), 401, 'unauthorized');
      const config = body(await plain.app.inject({ url: '/ui/config.json' }));
      assert.deepEqual(config.shortBench, { enabled: false, defaultDurationSeconds: 2, maxDurationSeconds: 5 });
    } finally {
      await plain.dispose();
    }
  });
});

describe('the short-bench runner', () => {
  it('kills the running child when closed (server shut-down) and is free again afterwards', { timeout: 60_000 }, async () => {
    const runner = createShortBench();
    const settings = { durationSeconds: 5, warmupSeconds: 0, connections: 1 };
    const run = runner.run(settings);
    await assert.rejects(runner.run(settings), /already running/);
    runner.close();
    await assert.rejects(run, /stopped \(SIGKILL\)/);
    const again = runner.run(settings);
    runner.close();
    await assert.rejects(again, /stopped/);
  });
});

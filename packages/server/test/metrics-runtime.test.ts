// The metrics read from the running service: tessera_sessions_active, tessera_revocation_lag_seconds,
// tessera_store_operation_duration_seconds{store,op} (and its error counter), and the HTTP
// histogram for the audit route. Each appears with a sample after the action that feeds it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../src/metrics.js';
import type { MetricsSource } from '../src/metrics.js';
import { signIn, signUpAndIn, startTestServer } from './helpers/test-server.js';
import type { TestServer } from './helpers/test-server.js';

/** The value of one sample line of the exposition, e.g. `name{a="b"} 3`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('runtime metrics of the server', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.dispose();
  });
  const scrape = async (): Promise<string> => {
    const res = await s.app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    return res.body;
  };

  it('tessera_sessions_active counts active records, both modes, and is cached between scrapes', async () => {
    const a = await signUpAndIn(s, 'session');
    await signIn(s, 'jwt', a.email);
    const first = await scrape();
    assert.ok(first.includes('# TYPE tessera_sessions_active gauge'));
    assert.equal(sample(first, 'tessera_sessions_active'), 2);
    // Within 10 s a scrape reuses the count: a store walk per scrape would let scrapes load the store.
    await signIn(s, 'session', a.email);
    assert.equal(sample(await scrape(), 'tessera_sessions_active'), 2);
  });

  it('tessera_revocation_lag_seconds is the age of the last catch-up of the revocation view', async () => {
    const text = await scrape();
    assert.ok(text.includes('# TYPE tessera_revocation_lag_seconds gauge'));
    const lag = sample(text, 'tessera_revocation_lag_seconds')!;
    assert.ok(Number.isFinite(lag) && lag >= 0 && lag < 5, `lag ${lag}`);
    assert.equal(lag, Math.max(0, lag));
  });

  it('tessera_token_verifications_total{outcome} counts each bearer request by outcome', async () => {
    const before = await scrape();
    const count = (text: string, outcome: string) => sample(text, `tessera_token_verifications_total{outcome="${outcome}"}`)!;
    const a = await signUpAndIn(s, 'jwt');
    for (let i = 0; i < 3; i++) assert.equal((await s.app.inject({ url: '/auth/me', headers: a.headers })).statusCode, 200);
    assert.equal((await s.app.inject({ url: '/auth/me', headers: { authorization: `${a.headers.authorization}x` } })).statusCode, 401);
    const text = await scrape();
    assert.equal(count(text, 'valid') - count(before, 'valid'), 3);
    assert.equal(count(text, 'invalid') - count(before, 'invalid'), 1);
    assert.equal(count(await scrape(), 'valid'), count(text, 'valid'), 'a scrape counts nothing twice');
  });

  it('tessera_store_operation_duration_seconds{store,op} times each store call', async () => {
    await signUpAndIn(s, 'jwt');
    const text = await scrape();
    assert.ok(text.includes('# TYPE tessera_store_operation_duration_seconds histogram'));
    for (const op of ['createUser', 'getUserByEmail', 'createSession', 'appendAudit', 'listRevocations', 'countActiveSessions']) {
      const count = sample(text, `tessera_store_operation_duration_seconds_count{store="sqlite",op="${op}"}`);
      assert.ok(count !== undefined && count >= 1, `${op}: ${count}`);
    }
    assert.ok(text.includes('# TYPE tessera_store_operation_errors_total counter'));
  });

  it('the HTTP histogram labels the audit route by its pattern (tessera_http_request_duration_seconds)', async () => {
    const a = await signUpAndIn(s, 'session');
    await s.app.inject({ url: '/auth/audit?limit=5', headers: a.headers });
    const text = await scrape();
    assert.equal(sample(text, 'tessera_http_request_duration_seconds_count{route="/auth/audit",method="GET",status="200"}'), 1);
  });
});

describe('runtime metrics, unit', () => {
  function source(counts: Array<number | Error>, lag = 0.25): MetricsSource & { calls: number } {
    const src = {
      calls: 0,
      async countActiveSessions() {
        const next = counts[Math.min(src.calls++, counts.length - 1)]!;
        if (next instanceof Error) throw next;
        return next;
      },
      revocationLagSeconds: () => lag,
    };
    return src;
  }

  it('without a source the gauges stay at zero; attached, they read it', async () => {
    const m = createMetrics({ sessionsActiveCacheMs: 0 });
    const before = await m.render();
    assert.equal(sample(before, 'tessera_sessions_active'), 0);
    assert.equal(sample(before, 'tessera_revocation_lag_seconds'), 0);
    m.attach(source([7], 1.5));
    const after = await m.render();
    assert.equal(sample(after, 'tessera_sessions_active'), 7);
    assert.equal(sample(after, 'tessera_revocation_lag_seconds'), 1.5);
  });

  it('one count serves scrapes within the cache time; concurrent scrapes share one count', async () => {
    const m = createMetrics({ sessionsActiveCacheMs: 60_000 });
    const src = source([3, 4]);
    m.attach(src);
    await Promise.all([m.render(), m.render(), m.render()]);
    assert.equal(src.calls, 1);
    assert.equal(sample(await m.render(), 'tessera_sessions_active'), 3);
    assert.equal(src.calls, 1);
  });

  it('a failed count keeps the last value (no fake zero) and is retried on the next scrape', async () => {
    const m = createMetrics({ sessionsActiveCacheMs: 0 });
    const src = source([5, new Error('store down'), 6]);
    m.attach(src);
    assert.equal(sample(await m.render(), 'tessera_sessions_active'), 5);
    assert.equal(sample(await m.render(), 'tessera_sessions_active'), 5);
    assert.equal(sample(await m.render(), 'tessera_sessions_active'), 6);
    assert.equal(src.calls, 3);
  });

  it('store operations: duration by {store,op}; failures also counted; no user, IP or token label', async () => {
    const m = createMetrics();
    m.observeStoreOperation('postgres', 'getSessionAndUser', 0.0004, true);
    m.observeStoreOperation('postgres', 'getSessionAndUser', 0.002, false);
    const text = await m.render();
    assert.equal(sample(text, 'tessera_store_operation_duration_seconds_count{store="postgres",op="getSessionAndUser"}'), 2);
    assert.equal(sample(text, 'tessera_store_operation_duration_seconds_bucket{le="0.0005",store="postgres",op="getSessionAndUser"}'), 1);
    assert.equal(sample(text, 'tessera_store_operation_errors_total{store="postgres",op="getSessionAndUser"}'), 1);
    const forbidden = /user|email|ip|addr|token|sid|jti|url|path/i;
    for (const metric of await m.registry.getMetricsAsJSON()) {
      for (const value of metric.values) {
        for (const label of Object.keys(value.labels)) assert.ok(label === 'le' || !forbidden.test(label), `${metric.name} has label ${label}`);
      }
    }
  });
});

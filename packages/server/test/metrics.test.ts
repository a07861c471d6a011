import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register as globalRegistry } from 'prom-client';
import { UNMATCHED_ROUTE, createMetrics } from '../src/metrics.js';

/** The value of one sample line of the exposition, e.g. `name{a="b"} 3`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('counters and histograms increment and render with the tessera_ prefix', async () => {
  const m = createMetrics();
  m.loginAttempts.inc({ mode: 'session', outcome: 'success' });
  m.loginAttempts.inc({ mode: 'jwt', outcome: 'invalid_credentials' }, 2);
  m.passwordHashDuration.observe(0.042);
  m.tokenVerifications.inc({ outcome: 'valid' });
  m.refreshReuseDetected.inc();
  m.rateLimited.inc(3);
  m.sessionsCreated.inc({ mode: 'jwt' });
  m.revocations.inc({ reason: 'logout' });
  m.observeHttpRequest('/auth/sessions/:id', 'delete', 204, 0.003);

  const text = await m.render();
  assert.equal(sample(text, 'tessera_login_attempts_total{mode="session",outcome="success"}'), 1);
  assert.equal(sample(text, 'tessera_login_attempts_total{mode="jwt",outcome="invalid_credentials"}'), 2);
  assert.equal(sample(text, 'tessera_password_hash_duration_seconds_count'), 1);
  assert.equal(sample(text, 'tessera_password_hash_duration_seconds_bucket{le="0.05"}'), 1);
  assert.equal(sample(text, 'tessera_token_verifications_total{outcome="valid"}'), 1);
  assert.equal(sample(text, 'tessera_refresh_reuse_detected_total'), 1);
  assert.equal(sample(text, 'tessera_rate_limited_total'), 3);
  assert.equal(sample(text, 'tessera_sessions_created_total{mode="jwt"}'), 1);
  assert.equal(sample(text, 'tessera_sessions_created_total{mode="session"}'), 0, 'expected series start at zero');
  assert.equal(sample(text, 'tessera_revocations_total{reason="logout"}'), 1);
  assert.equal(sample(text, 'tessera_http_request_duration_seconds_count{route="/auth/sessions/:id",method="DELETE",status="204"}'), 1);

  for (const name of [
    'tessera_login_attempts_total', 'tessera_password_hash_duration_seconds', 'tessera_token_verifications_total',
    'tessera_refresh_reuse_detected_total', 'tessera_rate_limited_total', 'tessera_sessions_created_total',
    'tessera_revocations_total', 'tessera_http_request_duration_seconds',
  ]) {
    assert.ok(text.includes(`# TYPE ${name} `), name);
  }
  // Default process metrics, prefixed.
  assert.ok(text.includes('tessera_process_cpu_user_seconds_total'));
  assert.ok(text.includes('tessera_nodejs_heap_size_used_bytes'));
  // Every metric is ours.
  const names = text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!);
  assert.ok(names.length > 10);
  for (const name of names) assert.ok(name.startsWith('tessera_'), name);
});

test('token verifications counted on the request path show at every read, each once', async () => {
  const m = createMetrics();
  const valid = async () => sample(await m.render(), 'tessera_token_verifications_total{outcome="valid"}');
  assert.equal(await valid(), 0);
  for (let i = 0; i < 3; i++) m.countTokenVerification('valid');
  m.countTokenVerification('revoked');
  m.tokenVerifications.inc({ outcome: 'valid' });
  assert.equal(await valid(), 4);
  assert.equal(await valid(), 4, 'a second read adds nothing');
  m.countTokenVerification('valid');
  assert.equal((await m.tokenVerifications.get()).values.find((v) => v.labels.outcome === 'valid')?.value, 5);
  const text = await m.render();
  assert.equal(sample(text, 'tessera_token_verifications_total{outcome="valid"}'), 5);
  assert.equal(sample(text, 'tessera_token_verifications_total{outcome="revoked"}'), 1);
  assert.equal(sample(text, 'tessera_token_verifications_total{outcome="expired"}'), 0);
});

test('contentType is the Prometheus text format', () => {
  assert.match(createMetrics().contentType, /^text\/plain; version=0\.0\.4/);
});

test('each instance has its own registry; the global one is untouched', async () => {
  const a = createMetrics();
  const b = createMetrics();
  a.rateLimited.inc();
  assert.notEqual(a.registry, b.registry);
  assert.equal(sample(await a.render(), 'tessera_rate_limited_total'), 1);
  assert.equal(sample(await b.render(), 'tessera_rate_limited_total'), 0);
  assert.equal(globalRegistry.getSingleMetric('tessera_rate_limited_total'), undefined);
});

test('HTTP labels stay bounded: route pattern or "unmatched", known methods, status code', async () => {
  const m = createMetrics();
  m.observeHttpRequest(undefined, 'GET', 404, 0.001);
  m.observeHttpRequest('', 'BREW', 404, 0.001);
  m.observeHttpRequest('/auth/me', 'get', 200, -1);
  const text = await m.render();
  assert.equal(sample(text, `tessera_http_request_duration_seconds_count{route="${UNMATCHED_ROUTE}",method="GET",status="404"}`), 1);
  assert.equal(sample(text, `tessera_http_request_duration_seconds_count{route="${UNMATCHED_ROUTE}",method="OTHER",status="404"}`), 1);
  assert.equal(sample(text, 'tessera_http_request_duration_seconds_count{route="/auth/me",method="GET",status="200"}'), 1);
});

test('no metric has a user, email, IP or token label', async () => {
  const m = createMetrics();
  m.passwordHashDuration.observe(0.1);
  m.refreshReuseDetected.inc();
  m.rateLimited.inc();
  m.observeHttpRequest('/auth/login', 'POST', 200, 0.01);
  const metrics = await m.registry.getMetricsAsJSON();
  const forbidden = /user|email|ip|addr|token|sid|jti|url|path/i;
  for (const metric of metrics) {
    for (const value of metric.values) {
      for (const label of Object.keys(value.labels)) {
        if (label === 'le') continue;
        assert.ok(!forbidden.test(label), `${metric.name} has label ${label}`);
      }
    }
  }
  const http = metrics.find((x) => x.name === 'tessera_http_request_duration_seconds');
  assert.deepEqual(Object.keys(http!.values.find((v) => v.labels.le === undefined)!.labels).sort(), ['method', 'route', 'status']);
});

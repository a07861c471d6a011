// /healthz, /readyz, /metrics and the web UI (GET /) with its Content-Security-Policy.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { disposeAndCheckLog, httpClient, signInDevice } from '../helpers/http-assertions.js';
import { body, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD]);
const { call } = httpClient(() => s);

/** The value of one sample line, e.g. `name{a="b"} 3`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1).split(' ')[0]);
}

/** The CSP as a map of directive → sources. */
function csp(header: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of header.split(';').map((p) => p.trim()).filter(Boolean)) {
    const [name, ...values] = part.split(/\s+/);
    out.set(name!.toLowerCase(), values);
  }
  return out;
}

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(() => disposeAndCheckLog(s, secrets));

describe('health', () => {
  it('GET /healthz: 200', async () => {
    const res = await call({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.equal(body(res).status, 'ok');
  });

  it('GET /readyz: 200 while the store answers', async () => {
    const res = await call({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(body(res).status, 'ready');
  });
});

describe('GET /metrics', () => {
  it('Prometheus text where every metric is named tessera_*', async () => {
    const res = await call({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    const names = new Set(
      res.body.split('\n').filter((l) => l.length > 0 && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]!),
    );
    assert.ok(names.size > 0);
    for (const name of names) assert.ok(name.startsWith('tessera_'), `metric ${name} lacks the tessera_ prefix`);
    for (const l of res.body.split('\n').filter((x) => x.startsWith('# TYPE '))) assert.match(l, /^# TYPE tessera_/);
  });

  it('after a sign-in, tessera_login_attempts_total has a sample for it', async () => {
    const initial = await call({ method: 'GET', url: '/metrics' });
    const series = 'tessera_login_attempts_total{mode="session",outcome="success"}';
    const was = sample(initial.body, series) ?? 0;
    const a = await signInDevice(s, secrets, 'session');
    await signInDevice(s, secrets, 'jwt');
    const failed = await call({ method: 'POST', url: '/auth/login', payload: { email: a.email, password: 'a wrong password for metrics' } });
    assert.equal(failed.statusCode, 401);
    const text = (await call({ method: 'GET', url: '/metrics' })).body;
    assert.equal(sample(text, series), was + 1);
    assert.equal(sample(text, 'tessera_login_attempts_total{mode="jwt",outcome="success"}'), 1);
    assert.equal(sample(text, 'tessera_login_attempts_total{mode="session",outcome="invalid_credentials"}'), 1);
    assert.ok((sample(text, 'tessera_password_hash_duration_seconds_count') ?? 0) >= 3);
    // No user data in labels.
    assert.ok(!text.includes(a.email));
    assert.ok(!text.includes(a.userId));
  });
});

describe('the web UI', () => {
  it('GET /: 200 HTML with a CSP whose script-src has no unsafe-inline, and frame-ancestors none', async () => {
    const res = await call({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /<html/i);
    const header = res.headers['content-security-policy'];
    assert.equal(typeof header, 'string', 'a Content-Security-Policy header is sent');
    const policy = csp(header as string);
    const scriptSrc = policy.get('script-src') ?? policy.get('default-src');
    assert.ok(scriptSrc, 'script-src (or default-src) is set');
    assert.ok(!scriptSrc.includes("'unsafe-inline'"), `script-src: ${scriptSrc.join(' ')}`);
    assert.ok(!scriptSrc.includes("'unsafe-eval'"), `script-src: ${scriptSrc.join(' ')}`);
    assert.ok(!scriptSrc.includes('*'));
    assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
    // No inline script for the CSP to have to allow.
    for (const m of res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      assert.match(m[1]!, /\bsrc=/, 'every script is external');
      assert.equal(m[2]!.trim(), '', 'no inline script body');
    }
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('the UI\'s own script and style are served', async () => {
    const html = (await call({ method: 'GET', url: '/' })).body;
    const srcs = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/gi)].map((m) => m[1]!);
    assert.ok(srcs.length >= 1, 'the page loads a script');
    for (const src of srcs) {
      const res = await call({ method: 'GET', url: src });
      assert.equal(res.statusCode, 200, src);
      assert.match(String(res.headers['content-type']), /javascript/);
    }
  });
});

describe('Strict-Transport-Security', () => {
  it('sent on every response when the issuer is https (a year, not subdomains); never on an http issuer', async () => {
    const https = await startTestServer({ env: { TESSERA_ISSUER: 'https://auth.example.com' } });
    try {
      for (const url of ['/healthz', '/auth/me', '/', '/no-such-route']) {
        const res = await https.app.inject({ method: 'GET', url });
        assert.equal(res.headers['strict-transport-security'], 'max-age=31536000', url);
      }
    } finally {
      await https.dispose();
    }
    for (const url of ['/healthz', '/auth/me', '/']) {
      assert.equal((await call({ method: 'GET', url })).headers['strict-transport-security'], undefined, url);
    }
  });
});

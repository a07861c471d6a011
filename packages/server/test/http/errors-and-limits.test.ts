// Errors and limits: 413 over 16 KiB, 415 for non-JSON bodies, 400 for malformed JSON and
// schema violations, 404 and 405, the one error shape {error:{code,message}} everywhere, and
// no 5xx for any input.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { assertError, disposeAndCheckLog, httpClient, signInDevice } from '../helpers/http-assertions.js';
import { GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

const LIMIT = 16 * 1024;

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD]);
const { call } = httpClient(() => s);

const raw = (url: string, payload: string, contentType = 'application/json', method: 'POST' | 'PUT' | 'DELETE' = 'POST') =>
  call({ method, url, payload, headers: { 'content-type': contentType } });

const BODY_ROUTES = ['/auth/register', '/auth/login', '/auth/refresh', '/auth/logout', '/auth/logout-all', '/auth/password'];

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(async () => {
  const log = await disposeAndCheckLog(s, secrets);
  assert.ok(!/"level":\s*50|"level":\s*"error"/.test(log), 'nothing was logged at error level');
});

describe('body size', () => {
  it('over 16 KiB: 413 payload_too_large on every body route', async () => {
    const big = JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(LIMIT) });
    assert.ok(Buffer.byteLength(big) > LIMIT);
    for (const url of BODY_ROUTES) assertError(await raw(url, big), 413, 'payload_too_large', url);
  });

  it('exactly 16 KiB is read (and then judged on its content); one byte more is 413', async () => {
    const make = (size: number) => {
      const skeleton = JSON.stringify({ email: 'edge@example.com', password: '' });
      return JSON.stringify({ email: 'edge@example.com', password: 'p'.repeat(size - skeleton.length) });
    };
    assert.equal(Buffer.byteLength(make(LIMIT)), LIMIT);
    assertError(await raw('/auth/login', make(LIMIT)), 400, 'invalid_request', 'at the limit');
    assertError(await raw('/auth/login', make(LIMIT + 1)), 413, 'payload_too_large', 'over the limit');
  });
});

describe('media type and JSON', () => {
  it('a non-JSON body: 415 unsupported_media_type (HTML forms cannot post to the API)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/html']) {
      for (const url of ['/auth/login', '/auth/register', '/auth/logout']) {
        assertError(await raw(url, 'email=a@example.com&password=x', type), 415, 'unsupported_media_type', `${type} ${url}`);
      }
    }
  });

  it('malformed JSON: 400 invalid_request', async () => {
    for (const payload of ['{', '{"email":', '{"email":"a@example.com"}}', "{'email':'a'}", '{"email":"a@example.com",}', '', ' ', 'undefined', 'NaN']) {
      assertError(await raw('/auth/login', payload), 400, 'invalid_request', JSON.stringify(payload));
    }
  });

  it('prototype-pollution keys: 400 invalid_request', async () => {
    for (const payload of ['{"__proto__":{"admin":true},"email":"a@example.com","password":"x"}', '{"constructor":{"prototype":{"x":1}},"email":"a@example.com","password":"x"}']) {
      assertError(await raw('/auth/login', payload), 400, 'invalid_request', payload);
    }
    assert.equal(({} as Record<string, unknown>).admin, undefined);
  });

  it('a JSON value that is not an object: 400 invalid_request', async () => {
    for (const payload of ['[]', '[{"email":"a@example.com"}]', '"text"', '5', 'true', 'null']) {
      assertError(await raw('/auth/login', payload), 400, 'invalid_request', payload);
      assertError(await raw('/auth/register', payload), 400, 'invalid_request', payload);
    }
  });

  it('deeply nested JSON within the size limit: 400, no crash', async () => {
    const deep = `{"email":${'['.repeat(8000)}${']'.repeat(8000)},"password":"x"}`;
    assert.ok(deep.length < LIMIT);
    assertError(await raw('/auth/login', deep), 400, 'invalid_request');
  });
});

describe('schema', () => {
  const cases: Array<[string, unknown]> = [
    ['/auth/register', { email: 'a@example.com', password: GOOD_PASSWORD, admin: true }],
    ['/auth/register', { email: 5, password: GOOD_PASSWORD }],
    ['/auth/register', { email: ['a@example.com'], password: GOOD_PASSWORD }],
    ['/auth/register', { email: 'a@example.com', password: 123456789012345 }],
    ['/auth/register', { email: 'a@example.com' }],
    ['/auth/register', { email: 'not-an-email', password: GOOD_PASSWORD }],
    ['/auth/register', { email: `${'a'.repeat(320)}@example.com`, password: GOOD_PASSWORD }],
    ['/auth/register', { email: 'a\u0000b@example.com', password: GOOD_PASSWORD }],
    ['/auth/login', { email: 5, password: GOOD_PASSWORD }],
    ['/auth/login', { email: null, password: GOOD_PASSWORD }],
    ['/auth/login', { email: 'a@example.com', password: { $ne: '' } }],
    ['/auth/login', { email: 'a@example.com', password: GOOD_PASSWORD, mode: 1 }],
    ['/auth/login', { email: 'a@example.com', password: GOOD_PASSWORD, remember: true }],
    ['/auth/login', { password: GOOD_PASSWORD }],
    ['/auth/login', { email: 'a@example.com', password: 'x'.repeat(5000) }],
    ['/auth/refresh', { refreshToken: 5 }],
    ['/auth/refresh', { refreshToken: 'x', extra: 1 }],
    ['/auth/refresh', { refresh_token: 'x' }],
    ['/auth/logout', { refreshToken: ['x'] }],
    ['/auth/logout-all', { everything: true }],
  ];
  for (const [url, payload] of cases) {
    it(`${url} ${JSON.stringify(payload).slice(0, 70)}: 400 invalid_request`, async () => {
      assertError(await call({ method: 'POST', url, payload: payload as Record<string, unknown> }), 400, 'invalid_request');
    });
  }

  it('errors never echo the input', async () => {
    const marker = 'ZZMARKER<script>alert(1)</script>';
    for (const payload of [{ email: marker, password: GOOD_PASSWORD }, { email: 'a@example.com', password: GOOD_PASSWORD, [marker]: 1 }]) {
      const res = await call({ method: 'POST', url: '/auth/register', payload });
      assert.equal(res.statusCode, 400);
      assert.ok(!res.body.includes('ZZMARKER'), res.body);
    }
  });

  it('a lone surrogate in a new password: 400 weak_password, no crash', async () => {
    const res = await raw('/auth/register', '{"email":"surrogate@example.com","password":"\\ud800abcdefghijklmnopqrstuvwxyz"}');
    assertError(res, 400, 'weak_password');
  });
});

describe('routing', () => {
  it('an unknown route: 404 not_found', async () => {
    for (const [method, url] of [['GET', '/nope'], ['GET', '/auth/nope'], ['POST', '/auth'], ['GET', '/auth/me/extra'], ['POST', '/nope?token=abc'], ['GET', '/.well-known/openid-configuration-x']] as const) {
      assertError(await call({ method, url }), 404, 'not_found', `${method} ${url}`);
    }
  });

  it('a wrong method on a known auth route: 405 method_not_allowed with Allow', async () => {
    const cases: Array<[InjectOptions['method'], string, string]> = [
      ['PUT', '/auth/me', 'GET'],
      ['POST', '/auth/me', 'GET'],
      ['DELETE', '/auth/login', 'POST'],
      ['GET', '/auth/logout', 'POST'],
      ['GET', '/auth/refresh', 'POST'],
      ['PATCH', '/auth/sessions/abc', 'DELETE'],
      ['PUT', '/auth/sessions', 'GET'],
      // Methods Fastify routes beyond the usual seven.
      ['TRACE', '/auth/login', 'POST'],
      ['QUERY', '/auth/me', 'GET'],
    ];
    for (const [method, url, allowed] of cases) {
      const res = await call({ method, url, payload: method === 'GET' || method === 'DELETE' ? undefined : {} });
      assertError(res, 405, 'method_not_allowed', `${method} ${url}`);
      assert.ok(String(res.headers.allow).split(/,\s*/).includes(allowed), `${method} ${url}: Allow ${res.headers.allow}`);
    }
  });

  it('a wrong method on the server\'s own routes (/healthz, /metrics, JWKS, /): 405 method_not_allowed', async () => {
    for (const [method, url] of [['POST', '/healthz'], ['POST', '/readyz'], ['POST', '/metrics'], ['DELETE', '/.well-known/jwks.json'], ['PUT', '/'], ['TRACE', '/healthz'], ['QUERY', '/metrics'], ['TRACE', '/admin/users'], ['TRACE', '/ui/config.json']] as const) {
      // QUERY needs a Content-Type (RFC 10008 §2: without one Fastify answers 400 itself).
      const res = await call({ method: method as InjectOptions['method'], url, ...(method === 'QUERY' ? { payload: {} } : {}) });
      assertError(res, 405, 'method_not_allowed', `${method} ${url}`);
      assert.equal(res.headers.allow, 'GET, HEAD', `${method} ${url}`);
    }
  });

  it('a badly percent-encoded URL gets the spec\'s error shape, not the framework\'s', async () => {
    for (const url of ['/%E0%A4%A', '/auth/%ZZ', '/auth/sessions/%E0%A4%A']) {
      const res = await call({ method: 'GET', url });
      assert.ok(res.statusCode === 400 || res.statusCode === 404, `${url}: ${res.statusCode}`);
      assertError(res, res.statusCode, res.statusCode === 400 ? 'invalid_request' : 'not_found', url);
    }
  });
});

describe('odd credentials never cause a 5xx', () => {
  it('malformed Authorization and Cookie headers: 401', async () => {
    const a = await signInDevice(s, secrets, 'jwt');
    for (const headers of [
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: 'Bearer a b' },
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: `Bearer ${'x'.repeat(9000)}` },
      { authorization: `Bearer ${a.body.accessToken}.x` },
      { authorization: 'Bearer ..' },
      { authorization: 'Bearer e30.e30.' },
      { cookie: '__Host-tessera_session' },
      { cookie: '__Host-tessera_session=; ;;=;' },
      { cookie: `__Host-tessera_session=${'%'.repeat(3000)}` },
      { cookie: '__Host-tessera_session="quoted.value"' },
    ]) {
      const res = await call({ method: 'GET', url: '/auth/me', headers });
      assertError(res, 401, 'unauthorized', JSON.stringify(headers).slice(0, 60));
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tessera"/);
    }
  });
});

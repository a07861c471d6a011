import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { body, GOOD_PASSWORD, signIn, signUpAndIn, startTestServer } from './helpers/test-server.js';
import type { TestServer } from './helpers/test-server.js';

/** `METHOD /path` of every row of the README's HTTP API table (it mirrors the spec's). */
function documentedEndpoints(): Set<string> {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('## HTTP API'), readme.indexOf('\n## ', readme.indexOf('## HTTP API') + 5));
  const out = new Set<string>();
  for (const m of table.matchAll(/^\| ((?:GET|POST|DELETE)) `([^`]+)`(?:, `([^`]+)`)?/gm)) {
    for (const path of [m[2], m[3]].filter(Boolean) as string[]) out.add(`${m[1]} ${path.replace(/\?.*$/, '').replace(/:(\w+)/g, '{$1}')}`);
  }
  return out;
}

const ADMIN_KEY = 'A'.repeat(43);
const SERVICE_KEY = 'S'.repeat(43);

type Operation = { responses: Record<string, unknown>; security?: unknown[]; requestBody?: { required?: boolean } };

describe('OpenAPI', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer({ env: { TESSERA_ADMIN_KEYS: ADMIN_KEY, TESSERA_SERVICE_KEYS: SERVICE_KEY } }); });
  after(async () => { await s.dispose(); });

  it('documents exactly the endpoints of the API table (the web UI aside)', async () => {
    const res = await s.app.inject({ url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    const doc = body(res);
    assert.match(doc.openapi, /^3\./);
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const expected = documentedEndpoints();
    expected.delete('GET /');
    assert.ok(expected.size >= 14, [...expected].join(', '));
    for (const e of expected) assert.ok(documented.has(e), `OpenAPI lacks ${e}`);
    for (const d of documented) assert.ok(expected.has(d) || d.startsWith('GET /auth/audit'), `OpenAPI has ${d}, which the API table lacks`);
  });

  it('documents the status each operation really answers on success, its credential, the error shape, and which bodies may be left out', async () => {
    const doc = body(await s.app.inject({ url: '/docs/json' }));
    const op = (method: string, path: string): Operation => doc.paths[path][method];
    const success = (o: Operation): number => Number(Object.keys(o.responses).find((k) => k !== 'default'));
    // Real requests, one per operation that needs no mailed link, each expected to succeed.
    const a = await signUpAndIn(s, 'jwt');
    const b = await signUpAndIn(s, 'session');
    const victim = await signUpAndIn(s, 'session');
    const leaving = await signUpAndIn(s, 'session');
    const other = await signIn(s, 'jwt', a.email);
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const sidOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
    const calls: Array<[string, string, InjectOptions]> = [
      ['post', '/auth/register', { payload: { email: `doc-${Date.now()}@example.com`, password: GOOD_PASSWORD } }],
      ['post', '/auth/login', { payload: { email: a.email, password: GOOD_PASSWORD } }],
      ['post', '/auth/refresh', { payload: { refreshToken: other.body.refreshToken } }],
      ['get', '/auth/me', { headers: a.headers }],
      ['get', '/auth/sessions', { headers: a.headers }],
      ['get', '/auth/audit', { headers: a.headers }],
      ['delete', '/auth/sessions/{id}', { url: `/auth/sessions/${sidOf(other.body.accessToken)}`, headers: a.headers }],
      ['post', '/auth/verify-email/resend', { headers: a.headers }],
      ['post', '/auth/password-reset', { payload: { email: a.email } }],
      ['post', '/auth/email', { headers: a.headers, payload: { newEmail: `new-${Date.now()}@example.com`, currentPassword: GOOD_PASSWORD } }],
      ['post', '/auth/password', { headers: b.headers, payload: { currentPassword: GOOD_PASSWORD, newPassword: 'another long enough passphrase' } }],
      ['post', '/auth/logout-all', { headers: a.headers }],
      ['post', '/auth/logout', { headers: leaving.headers }],
      ['post', '/auth/delete-account', { headers: victim.headers, payload: { currentPassword: GOOD_PASSWORD } }],
      ['get', '/.well-known/jwks.json', {}], ['get', '/healthz', {}], ['get', '/readyz', {}], ['get', '/metrics', {}],
      ['get', '/auth/revocations', { headers: { authorization: `Bearer ${SERVICE_KEY}` } }],
      ['get', '/admin/users', { headers: admin }],
      ['get', '/admin/users/{id}/audit', { url: `/admin/users/${b.userId}/audit`, headers: admin }],
      ['post', '/admin/users/{id}/disable', { url: `/admin/users/${b.userId}/disable`, headers: admin }],
      ['post', '/admin/users/{id}/enable', { url: `/admin/users/${b.userId}/enable`, headers: admin }],
      ['delete', '/admin/users/{id}', { url: `/admin/users/${b.userId}`, headers: admin }],
    ];
    for (const [method, path, options] of calls) {
      const res = await s.app.inject({ method: method.toUpperCase() as InjectOptions['method'], url: path, ...options });
      const o = op(method, path);
      assert.equal(res.statusCode, success(o), `${method} ${path}: documented ${success(o)}, answered ${res.statusCode} ${res.body.slice(0, 120)}`);
      const error = (o.responses.default as { content: Record<string, { schema: { properties: object } }> }).content['application/json']!.schema;
      assert.deepEqual(Object.keys(error.properties), ['error'], `${method} ${path}: the error shape`);
      if (res.statusCode === 204) assert.equal((o.responses['204'] as { content?: unknown }).content, undefined, `${method} ${path}: no content`);
    }
    // The three that take a mailed link are documented by the same table: 200, 204, 200.
    assert.deepEqual(['/auth/verify-email', '/auth/password-reset/confirm', '/auth/email/confirm'].map((p) => success(op('post', p))), [200, 204, 200]);
    // A credential is declared exactly where one is needed: without it, 401.
    const signedIn: Array<[string, string, object | undefined]> = [
      ['get', '/auth/me', undefined], ['get', '/auth/sessions', undefined], ['post', '/auth/logout-all', {}], ['post', '/auth/delete-account', { currentPassword: GOOD_PASSWORD }],
    ];
    for (const [method, path, payload] of signedIn) {
      assert.deepEqual(op(method, path).security, [{ session: [] }, { bearer: [] }], path);
      assert.equal((await s.app.inject({ method: method.toUpperCase() as InjectOptions['method'], url: path, ...(payload ? { payload } : {}) })).statusCode, 401, path);
    }
    assert.equal(op('post', '/auth/login').security, undefined);
    assert.deepEqual(op('get', '/auth/revocations').security, [{ serviceKey: [] }]);
    // Bodies that may be left out (the calls above sent none), and one that may not.
    for (const path of ['/auth/refresh', '/auth/logout', '/auth/logout-all', '/auth/verify-email/resend']) assert.equal(op('post', path).requestBody?.required, false, path);
    assert.equal(op('post', '/auth/login').requestBody?.required, true);
    // The session cookie's name is this deployment's.
    assert.equal(doc.components.securitySchemes.session.name, '__Host-tessera_session');
  });

  it('carries the request body schemas the routes validate with', async () => {
    const doc = body(await s.app.inject({ url: '/docs/json' }));
    const login = doc.paths['/auth/login'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(login.required, ['email', 'password']);
    assert.deepEqual(login.properties.mode.enum, ['session', 'jwt']);
    assert.equal(login.additionalProperties, false);
  });

  it('serves Swagger UI from the package itself (works offline)', async () => {
    const page = await s.app.inject({ url: '/docs' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /swagger/i);
    const css = await s.app.inject({ url: '/docs/static/swagger-ui.css' });
    assert.equal(css.statusCode, 200);
    assert.ok(css.body.length > 1000);
    // Its policy loads what it serves over plain HTTP too (upgrade-insecure-requests sent every
    // asset to https:// on a LAN address), and refuses frames as the web UI does.
    for (const res of [page, css]) {
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'self'/);
      assert.doesNotMatch(csp, /upgrade-insecure-requests/);
      assert.match(csp, /frame-ancestors 'none'/);
    }
    // The page itself: framing refused for browsers before frame-ancestors too, no opener handle.
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
  });
});

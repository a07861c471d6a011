import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { body, startTestServer } from './helpers/test-server.js';
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

describe('OpenAPI', () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
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
  });
});

/**
 * Attack suite, HTTP framing and hygiene, against the in-process server listening on a real
 * loopback socket (raw bytes where the attack is in the framing) and through `inject`:
 * - oversized headers (431, the server stays up) and bodies (413, whatever the framing);
 * - request smuggling: Content-Length with Transfer-Encoding in both orders and the usual
 *   obfuscations; each is one 400, no second response, nothing smuggled reaches a route;
 * - methods: every path of the router, every method: 405 with an `Allow` that lists exactly
 *   the methods that answer something else;
 * - content types: only JSON bodies are parsed (415 otherwise), on every body route.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { assertRefusal, AttemptLog, listen, parseRawResponses, rawRequest, routeTable, signUpAndIn, startTestServer } from './helpers.js';
import type { TestServer } from './helpers.js';

let s: TestServer;
let port: number;
const attempts = new AttemptLog();
/** A path segment that only a smuggled request would carry: it must never reach the log. */
const SMUGGLED = `/smuggled-${randomBytes(8).toString('hex')}`;

before(async () => {
  s = await startTestServer({ manualClock: true });
  port = await listen(s);
});

after(async () => {
  const log = s.logText();
  await s.dispose();
  attempts.assertAbsent(log);
  assert.ok(!log.includes(SMUGGLED), 'a smuggled request reached the server');
});

async function assertAlive(): Promise<void> {
  const [res] = parseRawResponses(await rawRequest(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
  assert.equal(res?.status, 200, 'the server still answers /healthz');
}

/** One 4xx answer in the spec's error shape, and nothing after it. */
function assertOneError(raw: string, status: number, label: string): void {
  const responses = parseRawResponses(raw);
  assert.equal(responses.length, 1, `${label}: ${responses.length} responses: ${raw.slice(0, 600)}`);
  const [res] = responses as [ReturnType<typeof parseRawResponses>[number]];
  assert.equal(res.status, status, `${label}: ${raw.slice(0, 300)}`);
  const parsed = JSON.parse(res.body) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(parsed.error).sort(), ['code', 'message'], label);
}

describe('oversized headers and bodies', () => {
  it('a 20 KB Cookie, a 20 KB URL and a 17 KB header name: 431 each, the connection closed, the server up', async () => {
    const marker = randomBytes(12).toString('hex');
    attempts.add('oversized cookie', `big-${marker}`);
    const cases: [string, string][] = [
      ['20 KB cookie', `GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: a=big-${marker}${'x'.repeat(20_000)}\r\n\r\n`],
      ['20 KB URL', `GET /auth/me?q=${'y'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`],
      ['17 KB header name', `GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X'.repeat(17_000)}: 1\r\n\r\n`],
      // Node counts the bytes of names and values (16 each here): 1,100 × 16 > 16 KiB.
      ['1,100 headers of 16 counted bytes', `GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\n${Array.from({ length: 1100 }, (_, i) => `X-H-${String(i).padStart(4, '0')}: ${'v'.repeat(8)}\r\n`).join('')}\r\n`],
    ];
    for (const [name, request] of cases) {
      assertOneError(await rawRequest(port, request), 431, name);
      await assertAlive();
    }
  });

  it('many small headers under the size limit are not an error (Node keeps the first 2,000): 401, never 5xx', async () => {
    const names = Array.from({ length: 2500 }, (_, i) => `h${i}`);
    const request = `GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\n${names.map((n) => `${n}: 1\r\n`).join('')}Connection: close\r\n\r\n`;
    assert.ok(names.reduce((n, name) => n + name.length + 1, 0) < 16_384, 'under the limit as Node counts it (names and values)');
    const [res] = parseRawResponses(await rawRequest(port, request));
    assert.equal(res?.status, 401);
    await assertAlive();
  });

  it('a body over 16 KiB on every body route: 413 payload_too_large (inject)', async () => {
    const big = JSON.stringify({ email: 'a@example.com', password: 'p'.repeat(16 * 1024) });
    for (const url of ['/auth/register', '/auth/login', '/auth/refresh', '/auth/logout', '/auth/logout-all', '/auth/password']) {
      const res = await s.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: big });
      assertRefusal(res, 413, 'payload_too_large', url);
    }
  });

  it('over the socket: a chunked body growing past 16 KiB, and a Content-Length of 1 GB: 413 at once, the server up', async () => {
    const chunk = JSON.stringify({ password: 'q'.repeat(4000) });
    const chunked = `POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${
      Array.from({ length: 6 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('')}0\r\n\r\n`;
    const [a] = parseRawResponses(await rawRequest(port, chunked));
    assert.equal(a?.status, 413, 'chunked over the limit');
    assert.equal(JSON.parse(a.body).error.code, 'payload_too_large');
    const started = performance.now();
    const [b] = parseRawResponses(await rawRequest(port, `POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{"email":`, 300));
    assert.equal(b?.status, 413, 'a declared length over the limit');
    assert.equal(JSON.parse(b.body).error.code, 'payload_too_large');
    assert.ok(performance.now() - started < 2000, 'answered without waiting for the gigabyte');
    await assertAlive();
  });
});

describe('request smuggling', () => {
  const smuggled = `GET ${SMUGGLED} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  const json = '{"email":"a@example.com","password":"x"}';
  const head = 'POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';
  const chunkedBody = `${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`;
  const cases: [string, string][] = [
    ['CL.TE: Content-Length then Transfer-Encoding: chunked', `${head}Content-Length: ${chunkedBody.length}\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}${smuggled}`],
    ['TE.CL: Transfer-Encoding: chunked then a short Content-Length', `${head}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${chunkedBody}${smuggled}`],
    ['TE.CL with the smuggled request inside the chunk', `${head}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n${(smuggled.length).toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`],
    ['TE: chunked, identity', `${head}Transfer-Encoding: chunked, identity\r\nContent-Length: ${json.length}\r\n\r\n${json}${smuggled}`],
    ['TE: xchunked', `${head}Transfer-Encoding: xchunked\r\n\r\n${chunkedBody}${smuggled}`],
    ['two Transfer-Encoding headers', `${head}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\nContent-Length: ${json.length}\r\n\r\n${json}${smuggled}`],
    ['space before the colon of Transfer-Encoding', `${head}Transfer-Encoding : chunked\r\nContent-Length: ${json.length}\r\n\r\n${json}${smuggled}`],
    ['obs-fold of Transfer-Encoding', `${head}Transfer-Encoding:\r\n chunked\r\nContent-Length: ${json.length}\r\n\r\n${json}${smuggled}`],
    ['two different Content-Length headers', `${head}Content-Length: ${json.length}\r\nContent-Length: ${json.length + 5}\r\n\r\n${json}${smuggled}`],
    ['Content-Length with a sign', `${head}Content-Length: +${json.length}\r\n\r\n${json}${smuggled}`],
    ['Content-Length list', `${head}Content-Length: ${json.length}, ${json.length}\r\n\r\n${json}${smuggled}`],
    ['chunk size overflow', `${head}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\n${json}\r\n0\r\n\r\n${smuggled}`],
    ['bare LF line endings with both framings', `POST /auth/login HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\nContent-Length: 4\nTransfer-Encoding: chunked\n\n${chunkedBody}${smuggled}`],
  ];

  for (const [name, request] of cases) {
    it(`${name}: one 400 in the spec's shape, no second response, the server up`, async () => {
      assertOneError(await rawRequest(port, request), 400, name);
      await assertAlive();
    });
  }

  it('control: a well-framed request followed by a pipelined one gets two answers (the parser does pipeline)', async () => {
    const raw = await rawRequest(port, `${head}Content-Length: ${json.length}\r\n\r\n${json}GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(parseRawResponses(raw).map((r) => r.status), [401, 200]);
  });
});

describe('methods', () => {
  const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

  it('every path of the router, every method: either answered, or 405 method_not_allowed with an Allow listing exactly the answered methods', async () => {
    const a = await signUpAndIn(s, 'session');
    attempts.add('cookie', a.headers.cookie);
    const problems: string[] = [];
    let checked = 0;
    for (const route of routeTable(s)) {
      const url = route.path.replace(/:[A-Za-z]+/g, 'x1').replace(/\*$/, 'x1');
      const answered: string[] = [];
      let allow: string | undefined;
      for (const method of METHODS) {
        // Safe requests carry the session, so that GETs reach their handler.
        const res = await s.app.inject({ method, url, headers: { cookie: a.headers.cookie } } as InjectOptions);
        checked++;
        if (res.statusCode >= 500) problems.push(`${method} ${url}: ${res.statusCode}`);
        if (res.statusCode === 405) {
          if (method !== 'HEAD') assertRefusal(res, 405, 'method_not_allowed', `${method} ${url}`);
          const header = res.headers.allow;
          if (typeof header !== 'string') problems.push(`${method} ${url}: 405 without Allow`);
          else if (allow !== undefined && header !== allow) problems.push(`${url}: Allow "${header}" vs "${allow}"`);
          else allow = header;
        } else if (res.statusCode === 404 && !route.path.endsWith('*') && !route.methods.includes(method)) {
          // (A wildcard route's 404 is its handler's "no such file", not a missing method.)
          problems.push(`${method} ${url}: 404 (an unregistered method on an existing path should be 405 with Allow)`);
        } else answered.push(method);
      }
      if (allow !== undefined) {
        const listed = allow.split(',').map((m) => m.trim()).sort();
        if (JSON.stringify(listed) !== JSON.stringify([...answered].sort())) problems.push(`${url}: Allow "${allow}" but answered ${answered.join(', ')}`);
      }
    }
    console.log(`methods: ${checked} method × path requests over ${routeTable(s).length} paths`);
    assert.deepEqual(problems, []);
  });

  it('TRACE, CONNECT and unknown methods over the socket: refused, never echoing the request', async () => {
    const marker = `secret-${randomBytes(8).toString('hex')}`;
    attempts.add('trace marker', marker);
    for (const method of ['TRACE', 'TRACK', 'CONNECT', 'PROPFIND', 'FOO', 'get']) {
      const raw = await rawRequest(port, `${method} /auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: c=${marker}\r\nConnection: close\r\n\r\n`);
      const [res] = parseRawResponses(raw);
      // Refused either with a 4xx or, for CONNECT (no tunnel is offered), by closing the connection.
      if (res === undefined) assert.equal(raw, '', `${method}: not an HTTP answer: ${raw.slice(0, 100)}`);
      else assert.ok(res.status >= 400 && res.status < 500, `${method}: ${res.status}`);
      assert.ok(!raw.includes(marker), `${method} echoed the request`);
    }
    await assertAlive();
  });
});

describe('content types: only JSON is parsed', () => {
  const ROUTES = ['/auth/register', '/auth/login', '/auth/refresh', '/auth/logout', '/auth/logout-all', '/auth/password'];
  const REFUSED = [
    'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
    'application/xml', 'text/html', 'application/jsonp', 'text/json', 'application/javascript', 'application/octet-stream',
  ];

  it('every body route refuses every non-JSON type with 415 unsupported_media_type', async () => {
    let cases = 0;
    for (const url of ROUTES) {
      for (const type of REFUSED) {
        const res = await s.app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload: '{"email":"a@example.com","password":"correct horse battery staple"}' });
        assertRefusal(res, 415, 'unsupported_media_type', `${url} ${type}`);
        cases++;
      }
    }
    console.log(`content types: ${cases} refused`);
  });

  it('a body without any Content-Type: 415', async () => {
    for (const url of ROUTES) {
      const raw = await rawRequest(port, `POST ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
      const [res] = parseRawResponses(raw);
      assert.equal(res?.status, 415, `${url}: ${raw.slice(0, 200)}`);
      assert.equal(JSON.parse(res.body).error.code, 'unsupported_media_type');
    }
  });

  it('JSON in any case and with a UTF-8 charset is parsed (and judged on its content)', async () => {
    for (const type of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset=UTF-8']) {
      const res = await s.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': type }, payload: '{"email":"nobody@example.com","password":"correct horse battery staple"}' });
      assertRefusal(res, 401, 'invalid_credentials', type);
    }
  });
});

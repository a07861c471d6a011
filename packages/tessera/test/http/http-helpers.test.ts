import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TesseraError } from '../../src/errors.js';
import { validateBody } from '../../src/http/body-validator.js';
import { clientIp } from '../../src/http/client-ip.js';
import { clearedCookies, cookieNames, readCookie, sessionCookie } from '../../src/http/cookies.js';
import { assertSameOrigin, isSafeMethod, originOf } from '../../src/http/request-origin.js';
import { checkOrigin } from '../../src/http/route-kit.js';
import type { Tessera } from '../../src/auth/tessera.js';
import { AUTH_ROUTE_SCHEMAS } from '../../src/http/route-schemas.js';
import { describeDevice } from '../../src/http/user-agent.js';
import { parseQuery } from '../../src/http/query.js';
import fc from 'fast-check';

const forbidden = (e: unknown) => e instanceof TesseraError && e.code === 'forbidden';

describe('cookies', () => {
  it('uses the __Host- prefix only when Secure, with HttpOnly, SameSite=Lax, Path=/ and no Domain', () => {
    const secure = sessionCookie(cookieNames(true), true, 'v', 60);
    assert.equal(secure, '__Host-tessera_session=v; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax');
    const plain = sessionCookie(cookieNames(false), false, 'v', 60);
    assert.equal(plain, 'tessera_session=v; Max-Age=60; Path=/; HttpOnly; SameSite=Lax');
    assert.ok(!/domain/i.test(secure + plain));
  });
  it('clears both credentials with Max-Age=0', () => {
    const [session, refresh] = clearedCookies(cookieNames(true), true);
    assert.match(session!, /^__Host-tessera_session=; Max-Age=0; Path=\//);
    assert.match(refresh!, /^__Secure-tessera_refresh=; Max-Age=0; Path=\/auth\/refresh/);
  });
  it('reads one cookie; duplicates are ambiguous; look-alike names are not it', () => {
    assert.deepEqual(readCookie('a=1; tessera_session=abc; b=2', 'tessera_session'), { status: 'present', value: 'abc' });
    assert.deepEqual(readCookie('tessera_session=abc; tessera_session=def', 'tessera_session'), { status: 'ambiguous' });
    assert.deepEqual(readCookie(['tessera_session=abc', 'tessera_session=def'], 'tessera_session'), { status: 'ambiguous' });
    assert.deepEqual(readCookie('xtessera_session=abc; tessera_session_x=1', 'tessera_session'), { status: 'absent' });
    assert.deepEqual(readCookie(undefined, 'tessera_session'), { status: 'absent' });
  });
});

describe('origin check (CSRF)', () => {
  const base = { method: 'POST', ownOrigin: 'https://auth.example.com', trustedOrigins: ['https://app.example.com'] };
  it('allows the own origin, trusted origins, and requests without Origin (not from a browser)', () => {
    assertSameOrigin({ ...base, origin: 'https://auth.example.com', secFetchSite: 'same-origin' });
    assertSameOrigin({ ...base, origin: 'https://app.example.com', secFetchSite: 'same-site' });
    assertSameOrigin({ ...base, origin: undefined, secFetchSite: undefined });
    assertSameOrigin({ ...base, origin: 'https://auth.example.com:443', secFetchSite: undefined });
    assertSameOrigin({ ...base, origin: 'https://APP.example.com', secFetchSite: undefined });
  });
  it('refuses foreign and null origins, and cross-site or same-site fetch metadata', () => {
    assert.throws(() => assertSameOrigin({ ...base, origin: 'https://evil.example', secFetchSite: undefined }), forbidden);
    assert.throws(() => assertSameOrigin({ ...base, origin: 'null', secFetchSite: undefined }), forbidden);
    assert.throws(() => assertSameOrigin({ ...base, origin: undefined, secFetchSite: 'cross-site' }), forbidden);
    assert.throws(() => assertSameOrigin({ ...base, origin: undefined, secFetchSite: 'same-site' }), forbidden);
    assert.throws(() => assertSameOrigin({ ...base, origin: 'https://auth.example.com.evil.example', secFetchSite: undefined }), forbidden);
    assert.throws(() => assertSameOrigin({ ...base, origin: 'http://auth.example.com', secFetchSite: undefined }), forbidden, 'scheme matters');
    assert.throws(() => assertSameOrigin({ ...base, origin: 'https://auth.example.com:8443', secFetchSite: undefined }), forbidden, 'port matters');
    assert.throws(() => assertSameOrigin({ ...base, origin: 'https://user@auth.example.com', secFetchSite: undefined }), forbidden);
    assert.throws(() => assertSameOrigin({ ...base, origin: 'javascript:alert(1)', secFetchSite: undefined }), forbidden);
  });
  it('ignores safe methods', () => {
    assertSameOrigin({ ...base, method: 'GET', origin: 'https://evil.example', secFetchSite: 'cross-site' });
  });
  it('checkOrigin skips only GET, HEAD and OPTIONS (before reading Host), and refuses every other method from another site', () => {
    const auth = { options: { csrfOrigins: [] } } as unknown as Tessera;
    const crossSite = (method: string) => ({ method, protocol: 'https' as const, headers: { host: 'auth.example.com', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'get', 'Head']) {
      assert.equal(isSafeMethod(method), true, method);
      checkOrigin(auth, crossSite(method));
    }
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post', 'GETX', 'BREW', '']) {
      assert.equal(isSafeMethod(method), false, method);
      assert.throws(() => checkOrigin(auth, crossSite(method)), forbidden, method);
    }
    checkOrigin(auth, { method: 'POST', protocol: 'https', headers: { host: 'auth.example.com', origin: 'https://auth.example.com' } });
  });
  it('computes the own origin from the Host header', () => {
    assert.equal(originOf('http', 'localhost:3000'), 'http://localhost:3000');
    assert.equal(originOf('https', 'auth.example.com:443'), 'https://auth.example.com');
    assert.equal(originOf('http', 'bad host/'), undefined);
    assert.equal(originOf('http', undefined), undefined);
  });
});

describe('client IP', () => {
  it('ignores X-Forwarded-For unless proxy hops are trusted', () => {
    assert.equal(clientIp('10.0.0.1', '1.2.3.4', 0), '10.0.0.1');
    assert.equal(clientIp('10.0.0.1', 'spoofed, 1.2.3.4', 1), '1.2.3.4');
    assert.equal(clientIp('10.0.0.1', 'client, proxy1', 2), 'client');
    assert.equal(clientIp('10.0.0.1', 'only-one', 3), 'only-one');
    assert.equal(clientIp('10.0.0.1', ' , ', 1), '10.0.0.1');
  });
});

describe('device labels', () => {
  it('summarises common user agents and caps unknown ones', () => {
    assert.equal(describeDevice('Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0'), 'Firefox on Linux');
    assert.equal(describeDevice('curl/8.5.0'), 'curl');
    assert.equal(describeDevice(undefined), 'Unknown device');
    assert.equal(describeDevice('x'.repeat(500)).length, 64);
  });
});

describe('body validation', () => {
  it('is strict: no coercion, no unknown fields, messages name fields without echoing values', () => {
    validateBody(AUTH_ROUTE_SCHEMAS.login, { email: 'a@b.co', password: 'p', mode: 'jwt' });
    const cases: Array<[unknown, RegExp]> = [
      [{ email: 5, password: 'p' }, /^email must be string\.$/],
      [{ email: 'a@b.co' }, /password/],
      [{ email: 'a@b.co', password: 'p', extra: 'secret-value' }, /^The body has a field this endpoint does not accept\.$/],
      [{ email: 'a@b.co', password: 'p', mode: 'cookie' }, /mode/],
      [[1, 2], /object/],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => validateBody(AUTH_ROUTE_SCHEMAS.login, input), (e: unknown) => e instanceof TesseraError && e.code === 'invalid_request' && message.test(e.message) && !e.message.includes('secret-value') && !e.message.includes('extra'));
    }
  });
});

describe('query parsing', () => {
  it('keeps repeated parameters, decodes form escapes, and has no prototype', () => {
    assert.deepEqual({ ...parseQuery('/auth/audit?limit=20&before=917') }, { limit: '20', before: '917' });
    assert.deepEqual({ ...parseQuery('?tag=a&tag=b&tag=c') }, { tag: ['a', 'b', 'c'] });
    // A URL of 8,000 repeats (16 KB, the longest URL a server takes) keeps every value in order.
    const many = parseQuery(`?a=0${Array.from({ length: 7999 }, (_, i) => `&a=${i + 1}`).join('')}`).a;
    assert.ok(Array.isArray(many));
    assert.equal(many.length, 8000);
    assert.equal(many[7999], '7999');
    assert.deepEqual({ ...parseQuery('/x?q=a+b%21&bad=%E0%A4%A') }, { q: 'a b!', bad: '\uFFFD%A' });
    const proto = parseQuery('/x?__proto__=1&constructor=2');
    assert.equal(Object.getPrototypeOf(proto), null);
    assert.equal(proto.__proto__, '1');
  });
  it('answers an empty parameter set for a target without a query, or with a bare "?"', () => {
    for (const target of ['/auth/me', '/auth/me?', '', '?']) {
      const q = parseQuery(target);
      assert.deepEqual(Object.keys(q), [], target);
      assert.equal(Object.getPrototypeOf(q), null);
    }
  });
  it('reads every target as URLSearchParams reads the part after the first "?"', () => {
    const char = fc.constantFrom('a', 'b', '=', '&', '?', '+', '%', '2', '0', '#', 'é', ' ');
    fc.assert(fc.property(fc.array(char, { maxLength: 24 }).map((cs) => cs.join('')), (target) => {
      const at = target.indexOf('?');
      const expected: Record<string, string | string[]> = {};
      for (const [name, value] of new URLSearchParams(at === -1 ? '' : target.slice(at + 1))) {
        const prev = expected[name];
        expected[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
      assert.deepEqual({ ...parseQuery(target) }, expected);
    }), { numRuns: 500 });
  });
});

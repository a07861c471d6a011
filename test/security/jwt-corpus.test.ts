/**
 * Attack suite, access tokens, black-box over HTTP: a generated corpus of malicious bearer
 * tokens sent to GET /auth/me of a real server (the in-process Fastify app with its SQLite
 * store), one server per signing algorithm (EdDSA, ES256, RS256, HS256).
 *
 * The corpus is built against the server's OWN state: a valid access token is minted by a
 * real sign-in (its claims are the template), and the server's signing key is read from its
 * SQLite file (`signing_keys.private_jwk`), so every "correctly signed but bad" token carries
 * exactly one defect and its refusal proves that check, not a bad signature. The generator is
 * the unit suite's (packages/tessera/test/jwt/attack-tokens.ts: every class of
 * docs/security.md), replayed here through the whole HTTP stack, plus the classes that only
 * exist at the HTTP level: ECDSA high-S twins and revocation, JWS JSON serialisation as a
 * bearer, JWE with a huge `p2c` or `zip` (answered fast), the token in the query string, and
 * two `Authorization` headers on a real socket.
 *
 * Every case asserts the exact refusal (status, error code, challenge), no 5xx, and that
 * nothing of the attempt reaches the log.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { KeyRing } from '../../packages/tessera/src/jwt/key-ring.js';
import { attackTokens, b64u, forge } from '../../packages/tessera/test/jwt/attack-tokens.js';
import type { AccessTokenClaims } from '../../packages/tessera/src/jwt/access-token.js';
import {
  assertRefusal, AttemptLog, body, decodeJwt, listen, parseRawResponses, rawRequest, readSigningKeys, signUpAndIn, startTestServer,
} from './helpers.js';
import type { TestServer } from './helpers.js';

const ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const;
/** The order n of P-256. */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
/** How long a refusal of a JWE may take: no key derivation, no decompression happens. */
const FAST_REFUSAL_MS = 50;

/**
 * Corpus entries that are not attacks once carried in an HTTP header: a leading space before
 * a valid token is just a second separator space, which RFC 6750's `Bearer 1*SP b64token`
 * grammar allows (the unit suite refuses it as a raw string, where it is a malformed token).
 */
const NOT_AN_ATTACK_OVER_HTTP = new Set(['leading whitespace']);

interface Fixture {
  s: TestServer;
  attempts: AttemptLog;
  accessToken: string;
  claims: AccessTokenClaims;
  ring: KeyRing;
  records: ReturnType<typeof readSigningKeys>;
  nowSeconds: number;
}

const totals = { corpus: 0, extra: 0 };

async function me(s: TestServer, authorization: string, url = '/auth/me'): Promise<LightMyRequestResponse> {
  return s.app.inject({ method: 'GET', url, headers: { authorization } });
}

async function setUp(alg: (typeof ALGORITHMS)[number]): Promise<Fixture> {
  const s = await startTestServer({ manualClock: true, env: { TESSERA_JWT_ALG: alg } });
  const a = await signUpAndIn(s, 'jwt');
  const accessToken = a.body.accessToken as string;
  // Two seconds on, so that whole-second "now" is past the key's activation millisecond.
  s.clock!.advanceSeconds(2);
  const records = readSigningKeys(s.dataDir);
  assert.equal(records.length, 1, 'one signing key in a fresh database');
  assert.equal(records[0]!.alg, alg);
  return {
    s,
    attempts: new AttemptLog(),
    accessToken,
    claims: decodeJwt(accessToken).payload as unknown as AccessTokenClaims,
    ring: new KeyRing(records),
    records,
    nowSeconds: Math.floor(s.clock!.nowMs() / 1000),
  };
}

/** A header a client can send: visible ASCII and spaces only. */
function sendable(token: unknown): token is string {
  return typeof token === 'string' && /^[\x20-\x7e]*$/.test(token);
}

for (const alg of ALGORITHMS) {
  describe(`${alg} server: the generated corpus`, () => {
    let f: Fixture;
    before(async () => {
      f = await setUp(alg);
    });
    after(async () => {
      const log = f.s.logText();
      await f.s.dispose();
      f.attempts.assertAbsent(log, `${alg} server log`);
    });

    it('control: a token forged from the key in the database, with the sign-in\'s claims, is accepted (the forging works)', async () => {
      const signer = f.ring.signingKey(f.nowSeconds * 1000);
      const token = forge(JSON.stringify({ alg, typ: 'at+jwt', kid: signer.kid }), JSON.stringify(f.claims), alg, signer.key);
      const res = await me(f.s, `Bearer ${token}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(body(res).auth.id, f.claims.sid);
    });

    it('every malicious token of the corpus: 401 unauthorized, error="invalid_token", never a 5xx', async () => {
      const corpus = attackTokens({
        records: f.records,
        ring: f.ring,
        claims: f.claims,
        nowSeconds: f.nowSeconds,
        clockToleranceSeconds: 5,
        maxTtlSeconds: 900,
      }).filter((a) => sendable(a.token) && !NOT_AN_ATTACK_OVER_HTTP.has(a.name));
      assert.ok(corpus.length >= 60, `only ${corpus.length} tokens`);
      const accepted: string[] = [];
      for (const { name, token } of corpus) {
        f.attempts.add(name, token);
        const res = await me(f.s, `Bearer ${token as string}`);
        if (res.statusCode === 200) {
          accepted.push(name);
          continue;
        }
        assertRefusal(res, 401, 'unauthorized', `${alg}: ${name}`, true);
      }
      assert.deepEqual(accepted, [], `accepted: ${accepted.join('; ')}`);
      totals.corpus += corpus.length;
    });

    it('expired, but otherwise valid and correctly signed: 401 token_expired (the client should refresh)', async () => {
      const signer = f.ring.signingKey(f.nowSeconds * 1000);
      const iat = f.nowSeconds - 2000;
      const token = forge(JSON.stringify({ alg, typ: 'at+jwt', kid: signer.kid }), JSON.stringify({ ...f.claims, iat, exp: iat + 900 }), alg, signer.key);
      f.attempts.add('expired', token);
      assertRefusal(await me(f.s, `Bearer ${token}`), 401, 'token_expired', 'expired', true);
      totals.extra++;
    });

    it('the server\'s own token, expired by the clock (not forged): 401 token_expired', async () => {
      f.s.clock!.advanceSeconds(900 + 5 + 1);
      assertRefusal(await me(f.s, `Bearer ${f.accessToken}`), 401, 'token_expired', 'expired by the clock', true);
      f.s.clock!.advanceSeconds(-(900 + 5 + 1));
      totals.extra++;
    });
  });
}

describe('ES256: high-S twins are the same token (revocation keys on sid/jti, not on bytes)', () => {
  let s: TestServer;
  const attempts = new AttemptLog();
  before(async () => {
    s = await startTestServer({ manualClock: true, env: { TESSERA_JWT_ALG: 'ES256' } });
  });
  after(async () => {
    const log = s.logText();
    await s.dispose();
    attempts.assertAbsent(log, 'ES256 server log');
  });

  function highSTwin(token: string): string {
    const [h, p, sig] = token.split('.') as [string, string, string];
    const raw = Buffer.from(sig, 'base64url');
    assert.equal(raw.length, 64);
    const sValue = BigInt(`0x${raw.subarray(32).toString('hex')}`);
    const twinS = Buffer.from((P256_N - sValue).toString(16).padStart(64, '0'), 'hex');
    const twin = `${h}.${p}.${b64u(Buffer.concat([raw.subarray(0, 32), twinS]))}`;
    assert.notEqual(twin, token);
    return twin;
  }

  it('the twin of a live token verifies (ECDSA is malleable); after logout both are refused', async () => {
    const a = await signUpAndIn(s, 'jwt');
    const token = a.body.accessToken as string;
    const twin = highSTwin(token);
    attempts.add('token', token);
    attempts.add('twin', twin);
    const before = await me(s, `Bearer ${twin}`);
    assert.equal(before.statusCode, 200, 'the twin is a valid signature of the same claims');
    assert.equal(body(before).auth.id, decodeJwt(token).payload.sid);
    const out = await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${token}` } });
    assert.equal(out.statusCode, 204, out.body);
    assertRefusal(await me(s, `Bearer ${token}`), 401, 'unauthorized', 'original after logout', true);
    assertRefusal(await me(s, `Bearer ${twin}`), 401, 'unauthorized', 'high-S twin after logout', true);
    totals.extra += 2;
  });

  it('a twin first seen AFTER the session was ended from another device is refused too', async () => {
    const a = await signUpAndIn(s, 'jwt');
    const token = a.body.accessToken as string;
    const sid = decodeJwt(token).payload.sid as string;
    const other = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { email: a.email, password: 'correct horse battery staple', mode: 'jwt' } });
    const otherToken = body(other).accessToken as string;
    attempts.add('other device token', otherToken);
    const del = await s.app.inject({ method: 'DELETE', url: `/auth/sessions/${sid}`, headers: { authorization: `Bearer ${otherToken}` } });
    assert.equal(del.statusCode, 204, del.body);
    const twin = highSTwin(token);
    attempts.add('token', token);
    attempts.add('twin', twin);
    assertRefusal(await me(s, `Bearer ${twin}`), 401, 'unauthorized', 'never-seen twin of an ended session', true);
    totals.extra++;
  });
});

describe('shapes that are not compact JWS, and tokens outside the Authorization header', () => {
  let s: TestServer;
  let token: string;
  let kid: string;
  const attempts = new AttemptLog();
  before(async () => {
    s = await startTestServer({ manualClock: true });
    const a = await signUpAndIn(s, 'jwt');
    token = a.body.accessToken as string;
    kid = decodeJwt(token).header.kid as string;
    attempts.add('valid token', token);
    // Warm the route so that the timings below measure the refusal, not the first compile.
    for (let i = 0; i < 20; i++) await me(s, `Bearer ${token}`);
  });
  after(async () => {
    const log = s.logText();
    await s.dispose();
    attempts.assertAbsent(log);
  });

  it('JWS JSON serialisation (flattened and general) as the bearer: 401 unauthorized', async () => {
    const [h, p, sig] = token.split('.') as [string, string, string];
    for (const [name, json] of [
      ['flattened', JSON.stringify({ protected: h, payload: p, signature: sig })],
      ['general', JSON.stringify({ payload: p, signatures: [{ protected: h, signature: sig }] })],
      ['flattened with an unprotected header', JSON.stringify({ protected: h, header: { kid }, payload: p, signature: sig })],
    ] as const) {
      attempts.add(name, json);
      assertRefusal(await me(s, `Bearer ${json}`), 401, 'unauthorized', `JWS JSON ${name}`, true);
      totals.extra++;
    }
  });

  it(`JWE compact with a huge p2c, with zip, and a JWS header carrying PBES2 parameters: 401 in < ${FAST_REFUSAL_MS} ms each`, async () => {
    const [, p, sig] = token.split('.') as [string, string, string];
    const jwe = (header: Record<string, unknown>, ciphertext: Buffer) =>
      [b64u(JSON.stringify(header)), b64u(randomBytes(40)), b64u(randomBytes(12)), b64u(ciphertext), b64u(randomBytes(16))].join('.');
    // A deflate bomb: 2 MB of zeros in a few KB (what `zip: DEF` would inflate, were it decrypted).
    const bomb = deflateRawSync(Buffer.alloc(2 * 1024 * 1024));
    const cases: [string, string][] = [
      ['PBES2 with p2c = 2^31 - 1', jwe({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2c: 2 ** 31 - 1, p2s: b64u(randomBytes(16)), kid }, randomBytes(64))],
      ['PBES2 with p2c = 1e15', jwe({ alg: 'PBES2-HS256+A128KW', enc: 'A128CBC-HS256', p2c: 1e15, p2s: b64u(randomBytes(16)) }, randomBytes(64))],
      ['dir + A256GCM with zip DEF (a deflate bomb as ciphertext)', jwe({ alg: 'dir', enc: 'A256GCM', zip: 'DEF', kid }, bomb.subarray(0, Math.min(bomb.length, 4000)))],
      ['RSA-OAEP with zip DEF', jwe({ alg: 'RSA-OAEP-256', enc: 'A256GCM', zip: 'DEF', kid }, randomBytes(64))],
      ['three parts, header alg PBES2 with p2c', `${b64u(JSON.stringify({ alg: 'PBES2-HS512+A256KW', typ: 'at+jwt', kid, p2c: 2 ** 31 - 1, p2s: b64u(randomBytes(16)) }))}.${p}.${sig}`],
      ['three parts, header with zip', `${b64u(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid, zip: 'DEF' }))}.${b64u(bomb.subarray(0, 3000))}.${sig}`],
    ];
    const timings: string[] = [];
    for (const [name, jweToken] of cases) {
      attempts.add(name, jweToken);
      const started = performance.now();
      const res = await me(s, `Bearer ${jweToken}`);
      const ms = performance.now() - started;
      assertRefusal(res, 401, 'unauthorized', name, true);
      assert.ok(ms < FAST_REFUSAL_MS, `${name}: refused in ${ms.toFixed(1)} ms (key derivation or inflation happened?)`);
      timings.push(`${name}: ${ms.toFixed(2)} ms`);
      totals.extra++;
    }
    console.log(`JWE refusal times: ${timings.join('; ')}`);
  });

  it('the access token in the query string is not a credential: 401 unauthorized (no token was sent in a header)', async () => {
    for (const name of ['access_token', 'token', 'bearer', 'jwt', 'authorization']) {
      const res = await s.app.inject({ method: 'GET', url: `/auth/me?${name}=${token}` });
      assertRefusal(res, 401, 'unauthorized', `?${name}=`, false);
      totals.extra++;
    }
    const both = await s.app.inject({ method: 'GET', url: `/auth/me?access_token=${token}`, headers: { authorization: 'Bearer nope' } });
    assertRefusal(both, 401, 'unauthorized', 'query token + a bad header token', true);
  });

  it('the access token in a body or another header is not a credential', async () => {
    const inBody = await s.app.inject({ method: 'POST', url: '/auth/logout-all', payload: { access_token: token } });
    assertRefusal(inBody, 400, 'invalid_request', 'access_token in the body of logout-all');
    for (const header of ['x-access-token', 'x-auth-token', 'token', 'x-authorization', 'proxy-authorization']) {
      const res = await s.app.inject({ method: 'GET', url: '/auth/me', headers: { [header]: `Bearer ${token}` } });
      assertRefusal(res, 401, 'unauthorized', `token in ${header}`, false);
      totals.extra++;
    }
    for (const value of [`Basic ${Buffer.from(`x:${token}`).toString('base64')}`, `Token ${token}`, `Bearer ${token}, Bearer ${token}`, `Bearer ${token} x`, `Bearer${token}`]) {
      attempts.add(value, value);
      const res = await me(s, value);
      assertRefusal(res, 401, 'unauthorized', `Authorization: ${value.slice(0, 20)}…`, true);
      totals.extra++;
    }
  });

  it('two Authorization headers on a real socket: refused as ambiguous (401), whichever comes first', async () => {
    const port = await listen(s);
    const request = (lines: string[]) => `GET /auth/me HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${lines.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`;
    // Control: one header over the same raw socket path is accepted.
    const single = parseRawResponses(await rawRequest(port, request([`Authorization: Bearer ${token}`])));
    assert.equal(single[0]?.status, 200, 'a single Authorization header over a raw socket');
    const cases: [string, string[]][] = [
      ['valid first, garbage second', [`Authorization: Bearer ${token}`, 'Authorization: Bearer garbage.garbage.garbage']],
      ['garbage first, valid second', ['Authorization: Bearer garbage.garbage.garbage', `Authorization: Bearer ${token}`]],
      ['the same valid token twice', [`Authorization: Bearer ${token}`, `Authorization: Bearer ${token}`]],
      ['differently cased names', [`Authorization: Bearer ${token}`, 'authorization: Basic Zm9vOmJhcg==']],
    ];
    const failures: string[] = [];
    for (const [name, lines] of cases) {
      const [res, ...more] = parseRawResponses(await rawRequest(port, request(lines)));
      assert.equal(more.length, 0, `${name}: one response`);
      assert.ok(res !== undefined && res.status < 500, `${name}: ${res?.status}`);
      if (res.status !== 401) {
        failures.push(`${name}: ${res.status}`);
        continue;
      }
      assert.equal(JSON.parse(res.body).error.code, 'unauthorized', name);
      assert.equal(res.headers['www-authenticate']?.[0], 'Bearer realm="tessera", error="invalid_token"', name);
      totals.extra++;
    }
    assert.deepEqual(failures, [], `two Authorization headers were not refused (Node keeps only the first; see docs/reliability.md): ${failures.join('; ')}`);
  });
});

after(() => {
  console.log(`jwt-corpus: ${totals.corpus} corpus tokens over ${ALGORITHMS.length} servers + ${totals.extra} HTTP-level cases`);
});

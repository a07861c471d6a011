// JWT mode over HTTP: /auth/me with a Bearer token, the RFC 9068 profile of the access token
// (header and claims, verifiable with the JWKS), expiry with the clock tolerance, the 401
// challenges, and the public JWKS document.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { assertError, assertMe, decodeJwtPart, disposeAndCheckLog, httpClient, PRIVATE_JWK_MEMBERS, signInDevice } from '../helpers/http-assertions.js';
import { body, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD]);
const { call, me } = httpClient(() => s);

const newJwtUser = () => signInDevice(s, secrets, 'jwt');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(() => disposeAndCheckLog(s, secrets));

describe('GET /auth/me with a Bearer access token', () => {
  it('answers {user, auth:{mode:"jwt", id: sid, expiresAt: exp}}', async () => {
    const a = await newJwtUser();
    const res = await me(a.headers);
    const auth = assertMe(res, a.body.user, 'jwt');
    const claims = decodeJwtPart(a.body.accessToken.split('.')[1]);
    assert.equal(auth.id, claims.sid);
    assert.equal(auth.expiresAt, new Date((claims.exp as number) * 1000).toISOString());
  });

  it('a Bearer token wins over a session cookie sent alongside', async () => {
    const j = await newJwtUser();
    const sess = await signInDevice(s, secrets, 'session');
    const res = await me({ ...j.headers, ...sess.headers });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(body(res).user.id, j.userId);
    assert.equal(body(res).auth.mode, 'jwt');
  });
});

describe('the access token (RFC 9068 profile)', () => {
  it('header: alg EdDSA, typ at+jwt, kid of a JWKS key; claims iss, aud, sub, sid, client_id, iat, exp = iat + 900, jti', async () => {
    const a = await newJwtUser();
    const [h, p, sig] = a.body.accessToken.split('.') as [string, string, string];
    const header = decodeJwtPart(h);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.typ, 'at+jwt');
    assert.equal(typeof header.kid, 'string');
    for (const forbidden of ['jwk', 'jku', 'x5u', 'x5c', 'crit']) assert.equal(header[forbidden], undefined, forbidden);

    const claims = decodeJwtPart(p);
    const nowSeconds = Math.floor(s.clock!.nowMs() / 1000);
    assert.equal(claims.iss, s.auth.options.issuer);
    assert.equal(claims.aud, s.auth.options.audience);
    assert.equal(claims.sub, a.userId);
    assert.equal(claims.sid, a.body.refreshToken.split('.')[0]);
    assert.equal(claims.client_id, 'tessera');
    assert.equal(claims.iat, nowSeconds);
    assert.equal(claims.exp, nowSeconds + 900);
    assert.equal(typeof claims.jti, 'string');
    assert.ok((claims.jti as string).length >= 16);

    const second = await signInDevice(s, secrets, 'jwt', a.email);
    const claims2 = decodeJwtPart(second.body.accessToken.split('.')[1]!);
    assert.notEqual(claims2.jti, claims.jti, 'jti is unique');
    assert.notEqual(claims2.sid, claims.sid, 'each sign-in is its own session record');

    // The signature verifies with the published key of that kid.
    const jwks = body(await call({ method: 'GET', url: '/.well-known/jwks.json' }));
    const jwk = (jwks.keys as Array<Record<string, unknown>>).find((k) => k.kid === header.kid);
    assert.ok(jwk, 'the kid is published');
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    assert.ok(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url')), 'signature verifies');
  });

  it('is accepted within the clock tolerance after exp and refused after it: 401 token_expired', async () => {
    const a = await newJwtUser();
    const b = await newJwtUser();
    s.clock!.advanceSeconds(904);
    assert.equal((await me(a.headers)).statusCode, 200, '900 s TTL + 5 s tolerance');
    s.clock!.advanceSeconds(2);
    const res = await me(b.headers);
    assertError(res, 401, 'token_expired');
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="tessera", error="invalid_token"');
  });

  it('a tampered token is refused: 401 unauthorized with error="invalid_token"', async () => {
    const a = await newJwtUser();
    const other = await newJwtUser();
    const [h, , sig] = a.body.accessToken.split('.') as [string, string, string];
    const otherPayload = other.body.accessToken.split('.')[1];
    for (const token of [
      `${h}.${otherPayload}.${sig}`,
      `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${otherPayload}.`,
      `${a.body.accessToken}x`,
      a.body.refreshToken,
      'not-a-jwt',
    ]) {
      const res = await me(bearer(token));
      assertError(res, 401, 'unauthorized');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="tessera", error="invalid_token"');
    }
  });

  it('no credential: 401 unauthorized with WWW-Authenticate: Bearer realm="tessera" (no error)', async () => {
    const res = await me({});
    assertError(res, 401, 'unauthorized');
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="tessera"');
  });

  it('a validly signed token of 8 KiB is accepted, one byte more is refused (401, not a 5xx)', async () => {
    const a = await newJwtUser();
    const [h, p] = a.body.accessToken.split('.') as [string, string];
    const kid = decodeJwtPart(h).kid as string;
    const record = (await s.auth.options.store.listSigningKeys()).find((k) => k.kid === kid)!;
    const key = createPrivateKey({ key: JSON.parse(record.privateJwk) as JsonWebKey, format: 'jwk' });
    const claims = decodeJwtPart(p);
    const mint = (padLength: number): string => {
      const input = `${h}.${Buffer.from(JSON.stringify({ ...claims, pad: 'x'.repeat(padLength) })).toString('base64url')}`;
      return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
    };
    // Every 3 characters of padding add 4 of base64url: start just short of the limit.
    let pad = Math.floor(((8192 - mint(0).length) * 3) / 4) - 4;
    while (mint(pad + 1).length <= 8192) pad += 1;
    const [largest, tooLarge] = [mint(pad), mint(pad + 1)];
    assert.ok(largest.length <= 8192 && largest.length >= 8190, String(largest.length)); // base64url grows 1 or 2 at a time
    assert.ok(tooLarge.length > 8192);
    assert.equal((await me(bearer(largest))).statusCode, 200);
    assertError(await me(bearer(tooLarge)), 401, 'unauthorized');
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes public keys only: no d, p, q, dp, dq, qi, k', async () => {
    const res = await call({ method: 'GET', url: '/.well-known/jwks.json' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const b = body(res);
    assert.deepEqual(Object.keys(b), ['keys']);
    assert.ok(Array.isArray(b.keys) && b.keys.length >= 1);
    for (const key of b.keys as Array<Record<string, unknown>>) {
      assert.equal(typeof key.kid, 'string');
      assert.equal(key.alg, 'EdDSA');
      assert.equal(key.kty, 'OKP');
      for (const m of PRIVATE_JWK_MEMBERS) assert.equal(m in key, false, `JWKS key has private member ${m}`);
    }
  });
});

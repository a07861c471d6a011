// TESSERA_JWT_ALG=ES256 / RS256 / HS256: sign-in issues tokens of that algorithm, /auth/me and
// /auth/refresh accept them, and the JWKS publishes public keys only (never the HS256 secret).
// One server per algorithm (the algorithm is a server setting), one after the other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { decodeJwtPart, disposeAndCheckLog, httpClient, PRIVATE_JWK_MEMBERS, signInDevice } from '../helpers/http-assertions.js';
import { body, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

const CASES = [
  { alg: 'ES256', kty: 'EC', verifyWith: (data: Buffer, key: ReturnType<typeof createPublicKey>, sig: Buffer) => verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig) },
  { alg: 'RS256', kty: 'RSA', verifyWith: (data: Buffer, key: ReturnType<typeof createPublicKey>, sig: Buffer) => verify('sha256', data, key, sig) },
  { alg: 'HS256', kty: undefined, verifyWith: undefined },
] as const;

for (const c of CASES) {
  describe(`TESSERA_JWT_ALG=${c.alg}`, () => {
    let s: TestServer;
    const secrets = new Set<string>([GOOD_PASSWORD]);
    const { call } = httpClient(() => s);

    before(async () => {
      s = await startTestServer({ manualClock: true, env: { TESSERA_JWT_ALG: c.alg } });
    });

    after(() => disposeAndCheckLog(s, secrets));

    it(`signs in with ${c.alg} tokens that /auth/me and /auth/refresh accept`, async () => {
      const a = await signInDevice(s, secrets, 'jwt');
      const [h, p] = a.body.accessToken.split('.') as [string, string, string];
      const header = decodeJwtPart(h);
      assert.equal(header.alg, c.alg);
      assert.equal(header.typ, 'at+jwt');
      assert.equal(typeof header.kid, 'string');
      assert.equal(decodeJwtPart(p).exp, (decodeJwtPart(p).iat as number) + 900);

      const me = await call({ method: 'GET', url: '/auth/me', headers: a.headers });
      assert.equal(me.statusCode, 200, me.body);
      assert.equal(body(me).user.id, a.userId);
      assert.equal(body(me).auth.mode, 'jwt');

      const refreshed = await call({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: a.body.refreshToken } });
      assert.equal(refreshed.statusCode, 200, refreshed.body);
      secrets.add(body(refreshed).accessToken);
      secrets.add(body(refreshed).refreshToken);
      const again = await call({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${body(refreshed).accessToken}` } });
      assert.equal(again.statusCode, 200, again.body);
    });

    it('publishes no private key material in the JWKS', async () => {
      const a = await signInDevice(s, secrets, 'jwt');
      const res = await call({ method: 'GET', url: '/.well-known/jwks.json' });
      assert.equal(res.statusCode, 200);
      const keys = body(res).keys as Array<Record<string, unknown>>;
      assert.ok(Array.isArray(keys));
      for (const key of keys) {
        for (const m of PRIVATE_JWK_MEMBERS) assert.equal(m in key, false, `JWKS key has private member ${m}`);
        assert.notEqual(key.kty, 'oct', 'no symmetric key is ever published');
        assert.notEqual(key.alg, 'HS256');
      }
      const [h, p, sig] = a.body.accessToken.split('.') as [string, string, string];
      const kid = decodeJwtPart(h).kid;
      if (c.verifyWith === undefined) {
        assert.equal(keys.some((k) => k.kid === kid), false, 'the HS256 key is not published');
      } else {
        const jwk = keys.find((k) => k.kid === kid);
        assert.ok(jwk, 'the signing kid is published');
        assert.equal(jwk.kty, c.kty);
        assert.equal(jwk.alg, c.alg);
        const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
        assert.ok(c.verifyWith(Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url')), 'the signature verifies with the JWKS key');
      }
    });

    it('refuses a token whose alg header was switched', async () => {
      const a = await signInDevice(s, secrets, 'jwt');
      const [h, p, sig] = a.body.accessToken.split('.') as [string, string, string];
      const header = decodeJwtPart(h);
      for (const alg of ['none', 'HS256', 'RS256', 'ES256', 'EdDSA'].filter((x) => x !== c.alg)) {
        const forged = `${Buffer.from(JSON.stringify({ ...header, alg })).toString('base64url')}.${p}.${alg === 'none' ? '' : sig}`;
        const res = await call({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${forged}` } });
        assert.equal(res.statusCode, 401, `alg ${alg}: ${res.body}`);
        assert.equal(body(res).error.code, 'unauthorized');
      }
    });
  });
}

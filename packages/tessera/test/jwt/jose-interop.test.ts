import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, importJWK, jwtVerify, SignJWT } from 'jose';
import type { JWK } from 'jose';
import { JWS_ALGORITHMS } from '../../src/jwt/algorithms.js';
import type { JwsAlgorithm } from '../../src/jwt/algorithms.js';
import { signAccessToken, verifyAccessToken } from '../../src/jwt/access-token.js';
import { generateSigningKey, KeyRing } from '../../src/jwt/key-ring.js';
import type { SigningKeyRecord } from '../../src/stores/types.js';
import { TEST_NOW_SECONDS, TEST_VERIFY, validClaims } from './attack-tokens.js';

const NOW = TEST_NOW_SECONDS;
const NOW_MS = NOW * 1000;

let keys: Record<JwsAlgorithm, SigningKeyRecord>;

before(async () => {
  const generated = await Promise.all(JWS_ALGORITHMS.map((alg) => generateSigningKey(alg, NOW_MS)));
  keys = Object.fromEntries(generated.map((r) => [r.alg, r])) as Record<JwsAlgorithm, SigningKeyRecord>;
});

/** jose's verification key for a record: the published JWK, or the secret for HS256. */
async function joseVerificationKey(record: SigningKeyRecord): Promise<Awaited<ReturnType<typeof importJWK>>> {
  return importJWK(JSON.parse(record.publicJwk ?? record.privateJwk) as JWK, record.alg);
}

describe('interoperability with jose', () => {
  for (const alg of JWS_ALGORITHMS) {
    it(`${alg}: our tokens verify with jose`, async () => {
      const record = keys[alg];
      const token = signAccessToken(validClaims(), new KeyRing([record]).signingKey(NOW_MS));
      const { payload, protectedHeader } = await jwtVerify(token, await joseVerificationKey(record), {
        algorithms: [alg],
        issuer: TEST_VERIFY.issuer,
        audience: TEST_VERIFY.audience,
        typ: 'at+jwt',
        currentDate: new Date(NOW_MS),
      });
      assert.deepEqual(protectedHeader, { alg, typ: 'at+jwt', kid: record.kid });
      assert.deepEqual(payload, { ...validClaims() });
    });

    it(`${alg}: jose-signed tokens verify with ours`, async () => {
      const record = keys[alg];
      const claims = validClaims();
      const { iat, exp, iss, aud, sub, jti, ...rest } = claims;
      const token = await new SignJWT(rest)
        .setProtectedHeader({ alg, typ: 'at+jwt', kid: record.kid })
        .setIssuer(iss)
        .setAudience(aud)
        .setSubject(sub)
        .setJti(jti)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(await importJWK(JSON.parse(record.privateJwk) as JWK, alg));
      const ring = new KeyRing([record]);
      assert.deepEqual(verifyAccessToken(token, { ...TEST_VERIFY, keys: ring.lookup, nowSeconds: NOW }), claims);
    });
  }

  it('jose verifies our tokens against our published JWKS', async () => {
    const records = (['EdDSA', 'ES256', 'RS256'] as const).map((alg) => keys[alg]);
    const ring = new KeyRing(records);
    const jwks = createLocalJWKSet(ring.jwks(NOW_MS));
    for (const record of records) {
      const token = signAccessToken(validClaims(), new KeyRing([record]).signingKey(NOW_MS));
      const { protectedHeader } = await jwtVerify(token, jwks, { typ: 'at+jwt', currentDate: new Date(NOW_MS) });
      assert.equal(protectedHeader.kid, record.kid);
    }
  });

  it('jose-signed tokens with a header alg other than the key\'s are refused by ours', async () => {
    const record = keys.EdDSA;
    const token = await new SignJWT({ ...validClaims() })
      .setProtectedHeader({ alg: 'Ed25519', typ: 'at+jwt', kid: record.kid })
      .sign(await importJWK(JSON.parse(record.privateJwk) as JWK, 'Ed25519'));
    const ring = new KeyRing([record]);
    assert.throws(() => verifyAccessToken(token, { ...TEST_VERIFY, keys: ring.lookup, nowSeconds: NOW }), { code: 'unauthorized' });
  });
});

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTesseraError, TesseraError } from '../../src/errors.js';
import { JWS_ALGORITHMS } from '../../src/jwt/algorithms.js';
import type { JwsAlgorithm } from '../../src/jwt/algorithms.js';
import { signAccessToken, verifyAccessToken } from '../../src/jwt/access-token.js';
import type { AccessTokenClaims, VerifyAccessTokenOptions } from '../../src/jwt/access-token.js';
import { generateSigningKey, KeyRing } from '../../src/jwt/key-ring.js';
import { refusalReason } from '../../src/jwt/refusal.js';
import type { RefusalReason } from '../../src/jwt/refusal.js';
import type { SigningKeyRecord } from '../../src/stores/types.js';
import { attackTokens, forge, ringRecords, TEST_NOW_SECONDS, TEST_VERIFY, validClaims } from './attack-tokens.js';

const NOW = TEST_NOW_SECONDS;
const NOW_MS = NOW * 1000;

let keys: Record<JwsAlgorithm, SigningKeyRecord>;
const rings = new Map<JwsAlgorithm, { ring: KeyRing; records: SigningKeyRecord[] }>();

before(async () => {
  const generated = await Promise.all(JWS_ALGORITHMS.map((alg) => generateSigningKey(alg, NOW_MS)));
  keys = Object.fromEntries(generated.map((r) => [r.alg, r])) as Record<JwsAlgorithm, SigningKeyRecord>;
  for (const alg of JWS_ALGORITHMS) {
    const records = ringRecords(keys, alg, NOW_MS);
    rings.set(alg, { ring: new KeyRing(records), records });
  }
});

function options(ring: KeyRing, nowSeconds = NOW): VerifyAccessTokenOptions {
  return { ...TEST_VERIFY, keys: ring.lookup, nowSeconds };
}

function refused(fn: () => unknown, code: 'unauthorized' | 'token_expired', reason?: RefusalReason, label = ''): void {
  assert.throws(fn, (e) => {
    assert.ok(isTesseraError(e, code), `${label}: expected ${code}, got ${e instanceof TesseraError ? e.code : String(e)}`);
    if (reason !== undefined) assert.equal(refusalReason(e), reason, label);
    return true;
  }, `${label}: accepted`);
}

describe('access tokens', () => {
  it('round-trip with every algorithm, header exactly {alg, typ, kid}', () => {
    for (const alg of JWS_ALGORITHMS) {
      const { ring } = rings.get(alg)!;
      const key = ring.signingKey(NOW_MS);
      const claims = validClaims();
      const token = signAccessToken(claims, key);
      const header = Buffer.from(token.split('.')[0]!, 'base64url').toString();
      assert.equal(header, JSON.stringify({ alg, typ: 'at+jwt', kid: key.kid }));
      assert.deepEqual(verifyAccessToken(token, options(ring)), claims);
      // Signing is deterministic in everything but the ECDSA nonce, and reuses the header.
      assert.equal(signAccessToken(claims, key).split('.')[0], token.split('.')[0]);
    }
  });

  it('a header seen in a verified token skips parsing only: forged and tampered twins are still refused', () => {
    for (const alg of JWS_ALGORITHMS) {
      const { ring } = rings.get(alg)!;
      const key = ring.signingKey(NOW_MS);
      const token = signAccessToken(validClaims(), key);
      verifyAccessToken(token, options(ring)); // the header is now known
      const [h, p, sig] = token.split('.') as [string, string, string];
      const otherSub = Buffer.from(JSON.stringify({ ...validClaims(), sub: 'admin' })).toString('base64url');
      refused(() => verifyAccessToken(`${h}.${otherSub}.${sig}`, options(ring)), 'unauthorized', 'bad_signature', `${alg} tampered payload`);
      const flipped = `${sig.slice(0, 5)}${sig[5] === 'A' ? 'B' : 'A'}${sig.slice(6)}`;
      refused(() => verifyAccessToken(`${h}.${p}.${flipped}`, options(ring)), 'unauthorized', undefined, `${alg} tampered signature`);
      refused(() => verifyAccessToken(`${h}.${p}.`, options(ring)), 'unauthorized', 'bad_signature', `${alg} empty signature`);
      refused(() => verifyAccessToken(`${h}.${p}=.${sig}`, options(ring)), 'unauthorized', 'bad_base64url', `${alg} padded payload`);
      refused(() => verifyAccessToken(`${h}.e30.${sig}`, options(ring)), 'unauthorized', 'bad_signature', `${alg} empty claims`);
      // Expiry and the other claim checks still run on every token with a known header.
      refused(() => verifyAccessToken(token, options(ring, NOW + 3600)), 'token_expired', 'expired', `${alg} expired`);
      const wrongIssuer = { ...options(ring), issuer: 'https://other.example' };
      refused(() => verifyAccessToken(token, wrongIssuer), 'unauthorized', 'bad_iss', `${alg} issuer`);
    }
  });

  it('verifies tokens of a retired but unexpired key', () => {
    const { ring } = rings.get('EdDSA')!;
    for (const alg of ['ES256', 'RS256', 'HS256'] as const) {
      const retired = new KeyRing([keys[alg]]).signingKey(NOW_MS);
      assert.deepEqual(verifyAccessToken(signAccessToken(validClaims(), retired), options(ring)), validClaims());
    }
  });

  it('accepts application/at+jwt and case variants of the media type, aud arrays and nbf within tolerance', () => {
    const { ring } = rings.get('EdDSA')!;
    const key = ring.signingKey(NOW_MS);
    const claims = validClaims();
    for (const typ of ['application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
      const token = forge(JSON.stringify({ alg: key.alg, typ, kid: key.kid }), JSON.stringify(claims), key.alg, key.key);
      assert.equal(verifyAccessToken(token, options(ring)).sub, claims.sub);
    }
    const multi = { ...claims, aud: ['https://other.example', TEST_VERIFY.audience] };
    assert.deepEqual(verifyAccessToken(signAccessToken(multi, key), options(ring)).aud, multi.aud);
    const nbf = { ...claims, nbf: NOW + TEST_VERIFY.clockToleranceSeconds };
    assert.equal(verifyAccessToken(signAccessToken(nbf, key), options(ring)).nbf, nbf.nbf);
  });

  it('applies the clock tolerance at the exact boundaries', () => {
    const { ring } = rings.get('EdDSA')!;
    const key = ring.signingKey(NOW_MS);
    const tol = TEST_VERIFY.clockToleranceSeconds;
    const claims = validClaims();
    const token = signAccessToken(claims, key);
    assert.ok(verifyAccessToken(token, options(ring, claims.exp + tol - 1)));
    refused(() => verifyAccessToken(token, options(ring, claims.exp + tol)), 'token_expired', 'expired');
    const future = { ...claims, iat: NOW + tol, exp: NOW + tol + 900 };
    assert.ok(verifyAccessToken(signAccessToken(future, key), options(ring)));
    refused(() => verifyAccessToken(signAccessToken({ ...future, iat: NOW + tol + 1, exp: NOW + tol + 901 }, key), options(ring)), 'unauthorized', 'issued_in_future');
    const notYet = signAccessToken({ ...claims, nbf: NOW + tol + 1 }, key);
    refused(() => verifyAccessToken(notYet, options(ring)), 'unauthorized', 'not_yet_valid');
    assert.ok(verifyAccessToken(notYet, options(ring, NOW + 1)), 'valid a second later');
    assert.ok(verifyAccessToken(signAccessToken({ ...claims, exp: claims.iat + TEST_VERIFY.maxTtlSeconds }, key), options(ring)));
    refused(() => verifyAccessToken(signAccessToken({ ...claims, exp: claims.iat + TEST_VERIFY.maxTtlSeconds + 1 }, key), options(ring)), 'unauthorized', 'ttl_too_long');
  });

  it('reports token_expired only for a token valid in every other respect', () => {
    const { ring } = rings.get('ES256')!;
    const key = ring.signingKey(NOW_MS);
    const old = { ...validClaims(), iat: NOW - 2000, exp: NOW - 1100 };
    refused(() => verifyAccessToken(signAccessToken(old, key), options(ring)), 'token_expired', 'expired');
    refused(() => verifyAccessToken(signAccessToken({ ...old, iss: 'https://evil.example' }, key), options(ring)), 'unauthorized', 'bad_iss');
    refused(() => verifyAccessToken(signAccessToken({ ...old, aud: 'x' }, key), options(ring)), 'unauthorized', 'bad_aud');
    const [h, p] = signAccessToken(old, key).split('.');
    refused(() => verifyAccessToken(`${h}.${p}.${Buffer.alloc(64, 1).toString('base64url')}`, options(ring)), 'unauthorized', 'bad_signature');
    // A token whose key has expired is unknown, not expired: its kid can no longer be trusted.
    const expiredKey = ringRecords(keys, 'ES256', NOW_MS).find((r) => r.alg === 'RS256')!;
    const late = NOW + 601;
    const lateRing = new KeyRing([{ ...keys.EdDSA, activatesAt: 0 }, expiredKey]);
    const token = signAccessToken(validClaims(), new KeyRing([keys.RS256]).signingKey(NOW_MS));
    refused(() => verifyAccessToken(token, options(lateRing, late)), 'unauthorized', 'unknown_kid');
  });

  it('refuses every attack token with unauthorized, for every signing algorithm, never leaking the token', () => {
    let count = 0;
    for (const alg of JWS_ALGORITHMS) {
      const { ring, records } = rings.get(alg)!;
      const attacks = attackTokens({ records, ring, claims: validClaims(), nowSeconds: NOW, ...TEST_VERIFY });
      assert.ok(attacks.length > 150, `${alg}: ${attacks.length} attacks`);
      const names = new Set<string>();
      for (const { name, token } of attacks) {
        assert.equal(names.has(name), false, `duplicate attack name ${name}`);
        names.add(name);
        refused(() => verifyAccessToken(token, options(ring)), 'unauthorized', undefined, `${alg}: ${name}`);
        try {
          verifyAccessToken(token, options(ring));
        } catch (e) {
          assert.equal((e as TesseraError).message, 'Authentication is required.');
          assert.ok(refusalReason(e), `${alg}: ${name} has a reason`);
        }
        count++;
      }
    }
    assert.ok(count > 600);
  });

  it('refuses each attack for the intended reason (spot checks)', () => {
    const { ring, records } = rings.get('EdDSA')!;
    const attacks = new Map(attackTokens({ records, ring, claims: validClaims(), nowSeconds: NOW, ...TEST_VERIFY }).map((a) => [a.name, a.token]));
    const expect: [string, RefusalReason][] = [
      ['alg none, empty signature', 'bad_signature'],
      ['alg None, junk signature', 'alg_mismatch'],
      ['alg in lower case', 'alg_mismatch'],
      ['foreign key with our kid', 'bad_signature'],
      ['embedded jwk signed by the embedded key', 'embedded_key'],
      ['hostile kid: __proto__', 'unknown_kid'],
      ['hostile kid: ../../etc/passwd'.replace('../../etc/passwd', 'path traversal'), 'unknown_kid'],
      ['hostile kid: 12 KB string', 'too_large'],
      ['hostile kid: object', 'bad_kid'],
      ['empty crit', 'crit'],
      ['b64 false', 'b64'],
      ['typ JWT', 'bad_typ'],
      ['duplicate sub', 'duplicate_member'],
      ['__proto__ claim', 'forbidden_member'],
      ['wrong aud', 'bad_aud'],
      ['nbf in the future', 'not_yet_valid'],
      ['iat in the future', 'issued_in_future'],
      ['far-future exp (exp - iat > max TTL)', 'ttl_too_long'],
      ['tampered payload', 'bad_signature'],
      ['two parts', 'malformed'],
      ['five-part JWE', 'malformed'],
      ['standard base64 alphabet (+ /)', 'bad_base64url'],
      ['token over 8 KiB (validly signed)', 'too_large'],
      ['non-string input: Buffer', 'not_a_string'],
      ['JWS JSON serialisation (flattened)', 'malformed'],
      ['HS256 keyed with the RS256 public key (SPKI PEM)', 'alg_mismatch'],
      ['ES256 key: r = s = 0 (64 bytes)', 'bad_signature'],
      ['ES256 key: valid signature, DER-encoded', 'bad_signature'],
    ];
    for (const [name, reason] of expect) {
      assert.ok(attacks.has(name), `missing attack ${name}`);
      refused(() => verifyAccessToken(attacks.get(name), options(ring)), 'unauthorized', reason, name);
    }
  });

  it('signAccessToken refuses claims it would not accept, and serialises only known claims', () => {
    const key = rings.get('EdDSA')!.ring.signingKey(NOW_MS);
    const claims = validClaims();
    for (const bad of [{ sub: '' }, { iat: 1.5 }, { aud: [] }, { jti: 1 }, { nbf: 'x' }]) {
      assert.throws(() => signAccessToken({ ...claims, ...bad } as unknown as AccessTokenClaims, key), TypeError);
    }
    const token = signAccessToken({ ...claims, admin: true } as AccessTokenClaims, key);
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload), ['iss', 'sub', 'aud', 'client_id', 'sid', 'jti', 'iat', 'exp']);
  });
});

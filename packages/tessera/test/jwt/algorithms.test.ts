import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, sign } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { assertKeyFitsAlgorithm, es256ScalarsInRange, isJwsAlgorithm, JWS_ALGORITHMS, signJws, verifyJws } from '../../src/jwt/algorithms.js';
import { parseCompactJws } from '../../src/jwt/jws-compact.js';
import { refusalReason } from '../../src/jwt/refusal.js';

interface Vector { key: JsonWebKey; jws: string; thumbprint?: string }
const vectors = JSON.parse(readFileSync(new URL('../fixtures/jose-rfc-vectors.json', import.meta.url), 'utf8')) as {
  rfc7515: Record<'A.1-HS256' | 'A.2-RS256' | 'A.3-ES256' | 'A.5-none', Vector>;
  rfc8037: { 'A-Ed25519': Vector };
  derived: Record<'ES256-psychic-signature-r0-s0' | 'HS256-keyed-with-RS256-public-PEM' | 'ES256-high-S-twin', { jws: string }>;
};
const A1 = vectors.rfc7515['A.1-HS256'];
const A2 = vectors.rfc7515['A.2-RS256'];
const A3 = vectors.rfc7515['A.3-ES256'];
const A4 = vectors.rfc8037['A-Ed25519'];

const secretOf = (jwk: JsonWebKey): KeyObject => createSecretKey(Buffer.from(jwk.k!, 'base64url'));
const privateOf = (jwk: JsonWebKey): KeyObject => createPrivateKey({ key: jwk, format: 'jwk' });
const publicOf = (jwk: JsonWebKey): KeyObject => createPublicKey(privateOf(jwk));

/** Splits a compact JWS without parsing it (RFC 8037 A.4's payload is not JSON). */
function split(jws: string): { input: Buffer; signature: Buffer; encodedSignature: string } {
  const last = jws.lastIndexOf('.');
  return { input: Buffer.from(jws.slice(0, last)), signature: Buffer.from(jws.slice(last + 1), 'base64url'), encodedSignature: jws.slice(last + 1) };
}

describe('RFC test vectors', () => {
  it('RFC 7515 A.1 (HS256) verifies and re-signing reproduces it', () => {
    const { signingInput, signature, header } = parseCompactJws(A1.jws);
    assert.equal(header.alg, 'HS256');
    assert.equal(verifyJws('HS256', secretOf(A1.key), signingInput, signature), true);
    assert.equal(signJws('HS256', secretOf(A1.key), signingInput).toString('base64url'), split(A1.jws).encodedSignature);
  });

  it('RFC 7515 A.2 (RS256) verifies and re-signing reproduces it', () => {
    const { signingInput, signature } = parseCompactJws(A2.jws);
    assert.equal(verifyJws('RS256', publicOf(A2.key), signingInput, signature), true);
    assert.equal(signJws('RS256', privateOf(A2.key), signingInput).toString('base64url'), split(A2.jws).encodedSignature);
  });

  it('RFC 7515 A.3 (ES256) verifies, and a fresh (randomised) signature is 64 bytes and verifies', () => {
    const { signingInput, signature } = parseCompactJws(A3.jws);
    assert.equal(verifyJws('ES256', publicOf(A3.key), signingInput, signature), true);
    const fresh = signJws('ES256', privateOf(A3.key), signingInput);
    assert.equal(fresh.length, 64);
    assert.equal(verifyJws('ES256', publicOf(A3.key), signingInput, fresh), true);
  });

  it('RFC 8037 A.4 (Ed25519) verifies, re-signing reproduces it, and the thumbprint matches', async () => {
    const { input, signature, encodedSignature } = split(A4.jws);
    assert.equal(verifyJws('EdDSA', publicOf(A4.key), input, signature), true);
    assert.equal(signJws('EdDSA', privateOf(A4.key), input).toString('base64url'), encodedSignature);
    const { kty, crv, x } = A4.key;
    assert.equal(await calculateJwkThumbprint({ kty: kty!, crv: crv!, x: x! }), A4.thumbprint);
  });

  it('RFC 7515 A.5 (alg none) is refused by the parser', () => {
    assert.throws(() => parseCompactJws(vectors.rfc7515['A.5-none'].jws), (e) => refusalReason(e) === 'bad_signature');
  });

  it('a tampered vector does not verify', () => {
    const { input, signature } = split(A4.jws);
    const tampered = Buffer.from(input);
    tampered.writeUInt8(tampered.at(-1)! ^ 1, tampered.length - 1);
    assert.equal(verifyJws('EdDSA', publicOf(A4.key), tampered, signature), false);
  });
});

describe('ES256 signature encoding', () => {
  const { signingInput } = parseCompactJws(A3.jws);
  const key = publicOf(A3.key);

  it('refuses the psychic signature r = s = 0 (CVE-2022-21449) in R || S and DER forms', () => {
    const psychic = parseCompactJws(vectors.derived['ES256-psychic-signature-r0-s0'].jws);
    assert.equal(psychic.signature.length, 64);
    assert.equal(verifyJws('ES256', key, psychic.signingInput, psychic.signature), false);
    assert.equal(verifyJws('ES256', key, signingInput, Buffer.from('3006020100020100', 'hex')), false);
  });

  it('refuses r or s out of [1, n-1]', () => {
    const good = parseCompactJws(A3.jws).signature;
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    assert.equal(verifyJws('ES256', key, signingInput, Buffer.concat([Buffer.alloc(32), good.subarray(32)])), false);
    assert.equal(verifyJws('ES256', key, signingInput, Buffer.concat([good.subarray(0, 32), Buffer.alloc(32)])), false);
    assert.equal(verifyJws('ES256', key, signingInput, Buffer.concat([n, good.subarray(32)])), false);
    assert.equal(verifyJws('ES256', key, signingInput, Buffer.concat([good.subarray(0, 32), n])), false);
  });

  it('its own range check (not only OpenSSL\'s) takes exactly the scalars in [1, n-1], for r and for s', () => {
    const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const bytes = (v: bigint): Buffer => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
    const cases: Array<[bigint, boolean]> = [
      [0n, false], [1n, true], [255n, true], [1n << 248n, true], [N - 1n, true], [N, false], [N + 1n, false],
      // Equal to n down to the last byte, then below or above it; and all bytes 0xff.
      [N - 0x51n, true], [N + 0x0an, false], [(1n << 256n) - 1n, false],
      // Equal to n in the first bytes, below it later.
      [0xffffffff00000000fffffffffffffffe00000000000000000000000000000000n, true],
    ];
    const inRange = bytes(12345n);
    for (const [value, expected] of cases) {
      assert.equal(es256ScalarsInRange(Buffer.concat([bytes(value), inRange])), expected, `r = ${value.toString(16)}`);
      assert.equal(es256ScalarsInRange(Buffer.concat([inRange, bytes(value)])), expected, `s = ${value.toString(16)}`);
    }
  });

  it('refuses a valid signature in DER encoding (JWS requires R || S)', () => {
    const der = sign('sha256', signingInput, { key: privateOf(A3.key), dsaEncoding: 'der' });
    assert.notEqual(der.length, 64);
    assert.equal(verifyJws('ES256', key, signingInput, der), false);
  });

  it('accepts the high-S twin: ECDSA is malleable, so revocation must key on jti/sid, not token bytes', () => {
    const twin = vectors.derived['ES256-high-S-twin'].jws;
    assert.notEqual(twin, A3.jws);
    const parsed = parseCompactJws(twin);
    assert.deepEqual(parsed.payload, parseCompactJws(A3.jws).payload);
    assert.equal(verifyJws('ES256', key, parsed.signingInput, parsed.signature), true);
  });
});

describe('algorithm binding', () => {
  it('the derived HS256-keyed-with-RS256-PEM token is refused with the RS256 key, and shows the attack is real', () => {
    const attack = parseCompactJws(vectors.derived['HS256-keyed-with-RS256-public-PEM'].jws);
    const rsaPublic = publicOf(A2.key);
    assert.equal(attack.header.alg, 'HS256');
    assert.equal(verifyJws('RS256', rsaPublic, attack.signingInput, attack.signature), false);
    // A verifier that took the algorithm from the header would have accepted it:
    const pem = rsaPublic.export({ format: 'pem', type: 'spki' });
    assert.equal(verifyJws('HS256', createSecretKey(Buffer.from(pem)), attack.signingInput, attack.signature), true);
    // ...which is why an RSA key can never be used as an HMAC key.
    assert.throws(() => assertKeyFitsAlgorithm('HS256', rsaPublic), TypeError);
  });

  it('verifyJws returns false, never throws, for a key of the wrong type or junk signatures', () => {
    const data = Buffer.from('data');
    const keys: Record<string, KeyObject> = {
      ed: publicOf(A4.key), ec: publicOf(A3.key), rsa: publicOf(A2.key), hmac: secretOf(A1.key),
    };
    for (const alg of JWS_ALGORITHMS) {
      for (const key of Object.values(keys)) {
        for (const signature of [Buffer.alloc(0), Buffer.alloc(1), Buffer.alloc(32), Buffer.alloc(64, 1), Buffer.alloc(256, 1)]) {
          assert.equal(verifyJws(alg, key, data, signature), false, `${alg} ${key.type} ${signature.length}`);
        }
      }
    }
  });

  it('assertKeyFitsAlgorithm accepts each right key and refuses weak or wrong ones', () => {
    assert.doesNotThrow(() => assertKeyFitsAlgorithm('EdDSA', privateOf(A4.key)));
    assert.doesNotThrow(() => assertKeyFitsAlgorithm('ES256', publicOf(A3.key)));
    assert.doesNotThrow(() => assertKeyFitsAlgorithm('RS256', publicOf(A2.key)));
    assert.doesNotThrow(() => assertKeyFitsAlgorithm('HS256', secretOf(A1.key)));
    const refused: [Parameters<typeof assertKeyFitsAlgorithm>[0], KeyObject][] = [
      ['RS256', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey],
      ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey],
      ['ES256', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey],
      ['EdDSA', generateKeyPairSync('ed448').publicKey],
      ['EdDSA', publicOf(A3.key)],
      ['HS256', createSecretKey(Buffer.alloc(16, 1))],
      ['RS256', secretOf(A1.key)],
    ];
    for (const [alg, key] of refused) assert.throws(() => assertKeyFitsAlgorithm(alg, key), TypeError);
  });

  it('isJwsAlgorithm is exact and case-sensitive', () => {
    for (const alg of JWS_ALGORITHMS) assert.equal(isJwsAlgorithm(alg), true);
    for (const bad of ['none', 'None', 'NONE', 'eddsa', 'es256', 'HS384', 'RS256 ', '', undefined, null, 1]) {
      assert.equal(isJwsAlgorithm(bad), false);
    }
  });

  it('each algorithm signs and verifies with freshly generated keys', () => {
    const data = Buffer.from('payload');
    const pairs = {
      EdDSA: generateKeyPairSync('ed25519'),
      ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    };
    for (const [alg, { privateKey, publicKey }] of Object.entries(pairs) as [keyof typeof pairs, (typeof pairs)['EdDSA']][]) {
      const signature = signJws(alg, privateKey, data);
      assert.equal(verifyJws(alg, publicKey, data, signature), true);
      assert.equal(verifyJws(alg, publicKey, Buffer.from('payloaD'), signature), false);
    }
    const secret = createSecretKey(Buffer.alloc(32, 9));
    assert.equal(verifyJws('HS256', secret, data, signJws('HS256', secret, data)), true);
  });
});

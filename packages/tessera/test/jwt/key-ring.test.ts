import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { isTesseraError } from '../../src/errors.js';
import { JWS_ALGORITHMS, signJws, verifyJws } from '../../src/jwt/algorithms.js';
import type { JwsAlgorithm } from '../../src/jwt/algorithms.js';
import { generateSigningKey, KeyRing, planRotation } from '../../src/jwt/key-ring.js';
import type { SigningKeyRecord } from '../../src/stores/types.js';
import { ringRecords } from './attack-tokens.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

let keys: Record<JwsAlgorithm, SigningKeyRecord>;

before(async () => {
  const generated = await Promise.all(JWS_ALGORITHMS.map((alg) => generateSigningKey(alg, T0)));
  keys = Object.fromEntries(generated.map((r) => [r.alg, r])) as Record<JwsAlgorithm, SigningKeyRecord>;
});

describe('generateSigningKey', () => {
  it('creates a current key of each algorithm, kid = RFC 7638 thumbprint (random for HS256)', async () => {
    for (const alg of JWS_ALGORITHMS) {
      const record = keys[alg];
      assert.equal(record.alg, alg);
      assert.deepEqual([record.createdAt, record.activatesAt, record.retiresAt, record.expiresAt], [T0, T0, null, null]);
      if (alg === 'HS256') {
        assert.equal(record.publicJwk, null);
        assert.match(record.kid, /^[A-Za-z0-9_-]{22}$/);
        const jwk = JSON.parse(record.privateJwk) as JsonWebKey;
        assert.equal(Buffer.from(jwk.k!, 'base64url').length, 32);
      } else {
        const pub = JSON.parse(record.publicJwk!) as JsonWebKey & { kty: string };
        assert.equal(record.kid, await calculateJwkThumbprint(pub));
        for (const m of PRIVATE_MEMBERS) assert.equal(m in pub, false, `${alg} publicJwk has ${m}`);
      }
    }
    const rsa = createPublicKey({ key: JSON.parse(keys.RS256.publicJwk!) as JsonWebKey, format: 'jwk' });
    assert.equal(rsa.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal((await generateSigningKey('EdDSA', T0, T0 + MIN)).activatesAt, T0 + MIN);
  });

  it('round-trips every algorithm through the ring', () => {
    for (const alg of JWS_ALGORITHMS) {
      const ring = new KeyRing([keys[alg]]);
      const signer = ring.signingKey(T0);
      assert.equal(signer.alg, alg);
      const data = Buffer.from('data');
      const verifier = ring.verificationKey(signer.kid, T0)!;
      assert.equal(verifyJws(alg, verifier.key, data, signJws(alg, signer.key, data)), true);
      assert.equal(verifier.key.type, alg === 'HS256' ? 'secret' : 'public');
    }
  });
});

describe('KeyRing', () => {
  it('publishes a key before it signs, then hands over, then drops the old key at expiry', () => {
    const old = { ...keys.EdDSA, createdAt: T0 - 60 * MIN, activatesAt: T0 - 60 * MIN };
    const plan = planRotation([old], keys.ES256, T0, { accessTokenTtlSeconds: 900, clockToleranceSeconds: 30, publishLeadSeconds: 300 });
    const change = plan.changes[0]!;
    const records = [{ ...old, retiresAt: change.retiresAt, expiresAt: change.expiresAt }, plan.newKey];
    const ring = new KeyRing(records);
    const published = (now: number): string[] => ring.jwks(now).keys.map((k) => k.kid).sort();

    // Every stored, unexpired key is published, whatever its createdAt (a clock that went
    // back must not empty the JWKS; a key is in the store only once we made it).
    assert.deepEqual(published(T0 - 1), [old.kid, keys.ES256.kid].sort());
    // Published from createdAt, but the old key still signs (publish before use).
    assert.deepEqual(published(T0), [old.kid, keys.ES256.kid].sort());
    assert.equal(ring.signingKey(T0).kid, old.kid);
    assert.equal(ring.signingKey(T0 + 5 * MIN - 1).kid, old.kid);
    // At activation the new key signs; the old one still verifies and stays published.
    assert.equal(ring.signingKey(T0 + 5 * MIN).kid, keys.ES256.kid);
    assert.ok(ring.verificationKey(old.kid, T0 + 5 * MIN));
    assert.deepEqual(published(T0 + 5 * MIN + 15 * MIN), [old.kid, keys.ES256.kid].sort());
    // Expired: retirement + TTL + tolerance.
    const expiry = T0 + 5 * MIN + 930_000;
    assert.ok(ring.verificationKey(old.kid, expiry - 1));
    assert.equal(ring.verificationKey(old.kid, expiry), undefined);
    assert.deepEqual(published(expiry), [keys.ES256.kid]);
    assert.ok(ring.verificationKey(keys.ES256.kid, expiry));
  });

  it('throws unavailable when no key can sign', () => {
    const unavailable = (e: unknown): boolean => isTesseraError(e, 'unavailable');
    assert.throws(() => new KeyRing([]).signingKey(T0), unavailable);
    assert.throws(() => new KeyRing([{ ...keys.EdDSA, retiresAt: T0 }]).signingKey(T0), unavailable);
  });

  it('keeps signing when the clock went back before every key\'s activation (the newest key not retired)', () => {
    assert.equal(new KeyRing([{ ...keys.EdDSA, activatesAt: T0 + 1 }]).signingKey(T0).kid, keys.EdDSA.kid);
    const ring = new KeyRing([{ ...keys.EdDSA, activatesAt: T0 + 1, retiresAt: T0 + 2 }, { ...keys.ES256, activatesAt: T0 + 2 }]);
    assert.equal(ring.signingKey(T0).kid, keys.ES256.kid, 'never a retired key');
  });

  it('picks the newest active key', () => {
    const ring = new KeyRing([
      { ...keys.RS256, activatesAt: T0 - 2 * MIN },
      { ...keys.EdDSA, activatesAt: T0 - MIN },
      { ...keys.ES256, activatesAt: T0 + MIN },
    ]);
    assert.equal(ring.signingKey(T0).kid, keys.EdDSA.kid);
    assert.equal(ring.signingKey(T0 + MIN).kid, keys.ES256.kid);
  });

  it('never publishes private members nor HS256 keys', () => {
    const ring = new KeyRing(ringRecords(keys, 'HS256', T0));
    const { keys: published } = ring.jwks(T0);
    assert.deepEqual(published.map((k) => k.alg).sort(), ['ES256', 'EdDSA', 'RS256']);
    for (const jwk of published) {
      for (const m of PRIVATE_MEMBERS) assert.equal(m in jwk, false, `${jwk.alg} leaks ${m}`);
      assert.equal(jwk.use, 'sig');
      const expected = { EdDSA: ['alg', 'crv', 'kid', 'kty', 'use', 'x'], ES256: ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'], RS256: ['alg', 'e', 'kid', 'kty', 'n', 'use'] };
      assert.deepEqual(Object.keys(jwk).sort(), expected[jwk.alg as keyof typeof expected]);
      assert.doesNotThrow(() => createPublicKey({ key: jwk, format: 'jwk' }));
    }
    assert.doesNotMatch(JSON.stringify(ring.jwks(T0)), /"(d|p|q|dp|dq|qi|k)"/);
  });

  it('never publishes private members even from a record whose publicJwk is null or the private key', () => {
    const leaky = { ...keys.RS256, publicJwk: keys.RS256.privateJwk };
    assert.doesNotMatch(JSON.stringify(new KeyRing([leaky]).jwks(T0)), /"(d|p|q|dp|dq|qi)"/);
    assert.equal(new KeyRing([{ ...keys.EdDSA, publicJwk: null }]).jwks(T0).keys.length, 1);
  });

  it('refuses incoherent records', () => {
    assert.throws(() => new KeyRing([keys.EdDSA, keys.EdDSA]), TypeError);
    assert.throws(() => new KeyRing([{ ...keys.EdDSA, alg: 'ES256' }]), TypeError);
    assert.throws(() => new KeyRing([{ ...keys.HS256, alg: 'RS256' }]), TypeError);
    assert.throws(() => new KeyRing([{ ...keys.RS256, alg: 'HS256' }]), TypeError);
    assert.throws(() => new KeyRing([{ ...keys.EdDSA, alg: 'none' as JwsAlgorithm }]), TypeError);
    assert.throws(() => new KeyRing([{ ...keys.EdDSA, publicJwk: keys.ES256.publicJwk }]), TypeError);
    assert.throws(() => new KeyRing([{ ...keys.ES256, kid: '' }]), TypeError);
  });

  it('reports a corrupt stored key by its kid, never quoting its text', () => {
    const d = (JSON.parse(keys.EdDSA.privateJwk) as { d: string }).d;
    for (const field of ['privateJwk', 'publicJwk'] as const) {
      const corrupt = { ...keys.EdDSA, [field]: keys.EdDSA.privateJwk.replace(`"d":"${d}"`, `"d":"${d}"%`) };
      assert.throws(() => new KeyRing([corrupt]), (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, new RegExp(`signing key ${keys.EdDSA.kid} is not a JSON object`));
        assert.ok(!e.message.includes(d.slice(-8)), e.message);
        return true;
      });
    }
    assert.throws(() => new KeyRing([{ ...keys.EdDSA, privateJwk: '[1]' }]), /not a JSON object/);
  });

  it('looks kids up as Map keys only, and ignores later mutation of the records', () => {
    const record = { ...keys.EdDSA };
    const ring = new KeyRing([record]);
    for (const kid of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '../../etc/passwd', "' OR 1=1 --", 'k'.repeat(12_000)]) {
      assert.equal(ring.verificationKey(kid, T0), undefined);
      assert.equal(ring.lookup(kid, T0), undefined);
    }
    assert.equal(ring.lookup(record.kid, T0), ring.verificationKey(record.kid, T0));
    record.expiresAt = T0 - 1;
    record.retiresAt = T0 - 1;
    assert.ok(ring.verificationKey(record.kid, T0));
    assert.equal(ring.signingKey(T0).kid, record.kid);
  });
});

describe('planRotation', () => {
  const options = { accessTokenTtlSeconds: 900, clockToleranceSeconds: 30, publishLeadSeconds: 600 };

  it('activates the new key after the publish lead and retires current keys at that instant', () => {
    const current = { ...keys.EdDSA, activatesAt: T0 - MIN };
    const plan = planRotation([current], 'ES256', T0, options);
    assert.deepEqual(plan.newKey, { alg: 'ES256', createdAt: T0, activatesAt: T0 + 10 * MIN });
    assert.deepEqual(plan.changes, [{ kid: current.kid, retiresAt: T0 + 10 * MIN, expiresAt: T0 + 10 * MIN + 930_000 }]);
  });

  it('returns a generated record ready to insert, and never retires it', () => {
    const fresh = keys.ES256;
    const plan = planRotation([keys.EdDSA, fresh], fresh, T0 + MIN, options);
    assert.deepEqual(plan.newKey, { ...fresh, createdAt: T0 + MIN, activatesAt: T0 + 11 * MIN, retiresAt: null, expiresAt: null });
    assert.deepEqual(plan.changes.map((c) => c.kid), [keys.EdDSA.kid]);
  });

  it('leaves expired keys and keys retiring earlier alone, and supersedes a pending key', () => {
    const expired = { ...keys.RS256, retiresAt: T0 - 20 * MIN, expiresAt: T0 - MIN };
    const retiringSoon = { ...keys.HS256, retiresAt: T0 + MIN, expiresAt: T0 + 20 * MIN };
    const current = { ...keys.EdDSA, retiresAt: T0 + 30 * MIN, expiresAt: T0 + 50 * MIN };
    const pending = { ...keys.ES256, activatesAt: T0 + 5 * MIN };
    const plan = planRotation([expired, retiringSoon, current, pending], 'EdDSA', T0, options);
    assert.deepEqual(plan.changes.map((c) => c.kid), [current.kid, pending.kid]);
    for (const c of plan.changes) assert.deepEqual([c.retiresAt, c.expiresAt], [T0 + 10 * MIN, T0 + 10 * MIN + 930_000]);
  });

  it('refuses negative or non-finite timings', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => planRotation([], 'EdDSA', T0, { ...options, publishLeadSeconds: bad }), TypeError);
      assert.throws(() => planRotation([], 'EdDSA', T0, { ...options, accessTokenTtlSeconds: bad }), TypeError);
    }
  });
});

import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { isTesseraError } from '../../src/errors.js';
import { JWS_ALGORITHMS } from '../../src/jwt/algorithms.js';
import type { JwsAlgorithm } from '../../src/jwt/algorithms.js';
import { generateSigningKey, KeyRing } from '../../src/jwt/key-ring.js';
import type { SigningKeyRecord } from '../../src/stores/types.js';
import { importJwks } from '../../src/verifier/jwks-client.js';
import { createRemoteVerifier } from '../../src/verifier/remote-verifier.js';
import { attackTokens, ringRecords, TEST_NOW_SECONDS, TEST_VERIFY, validClaims } from '../jwt/attack-tokens.js';
import { FakeTessera, FEED_PATH, ISSUER, JWKS_PATH, makeKey, tokenFor } from './fake-tessera.js';

const NOW_MS = TEST_NOW_SECONDS * 1000;
const isCode = (code: string) => (error: unknown): boolean => isTesseraError(error) && error.code === code;

let records: Record<JwsAlgorithm, SigningKeyRecord>;
before(async () => {
  const generated = await Promise.all(JWS_ALGORITHMS.map((alg) => generateSigningKey(alg, NOW_MS - 600_000)));
  records = Object.fromEntries(generated.map((r) => [r.alg, r])) as Record<JwsAlgorithm, SigningKeyRecord>;
});

/** The public JWK of a record, with `changes`. */
function jwkOf(record: SigningKeyRecord, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...new KeyRing([record]).jwks(NOW_MS).keys[0], ...changes };
}

describe('remote verifier: keys', () => {
  let t: FakeTessera;
  beforeEach(() => { t = new FakeTessera(); });
  afterEach(() => t.stopAll());

  it('an unknown kid refetches the JWKS once; another unknown kid within the cooldown does not', async () => {
    const a = await makeKey();
    const b = await makeKey('ES256');
    const c = await makeKey();
    t.jwks = a.ring.jwks(NOW_MS);
    const v = t.verifier({ jwksCooldownMs: 30_000 });
    await v.start();
    t.jwks = { keys: [...a.ring.jwks(NOW_MS).keys, ...b.ring.jwks(NOW_MS).keys] };
    t.clock.advanceSeconds(31);
    // Two concurrent verifications of the new key share one fetch.
    const [x, y] = await Promise.all([v.verify(tokenFor(b.ring)), v.verify(tokenFor(b.ring, { jti: 'j2' }))]);
    assert.deepEqual([x.jti, y.jti], ['jti-1', 'j2']);
    assert.equal(t.count(JWKS_PATH), 2);
    assert.equal(v.status().keys, 2);
    await assert.rejects(v.verify(tokenFor(c.ring)), isCode('unauthorized'));
    await assert.rejects(v.verify(tokenFor(c.ring, { jti: 'j3' })), isCode('unauthorized'));
    assert.equal(t.count(JWKS_PATH), 2, 'no refetch within the cooldown');
    t.clock.advanceSeconds(31);
    await assert.rejects(v.verify(tokenFor(c.ring)), isCode('unauthorized'));
    assert.equal(t.count(JWKS_PATH), 3, 'one refetch once the cooldown has passed');
  });

  it('an unknown kid while the JWKS is unreachable is unavailable, not a verdict on the token', async () => {
    const a = await makeKey();
    const b = await makeKey();
    t.jwks = a.ring.jwks(NOW_MS);
    const v = t.verifier();
    await v.start();
    t.jwksDown = true;
    t.clock.advanceSeconds(31);
    await assert.rejects(v.verify(tokenFor(b.ring)), isCode('unavailable'));
    await assert.rejects(v.verify(tokenFor(b.ring)), isCode('unavailable'), 'within the cooldown too');
    assert.equal((await v.verify(tokenFor(a.ring))).sub, 'user-1', 'known keys keep verifying');
    assert.equal(v.status().keys, 1, 'a failed fetch keeps the previous keys');
  });

  it('a key removed from the JWKS stops verifying, cached tokens included', async () => {
    const a = await makeKey();
    const b = await makeKey();
    t.jwks = { keys: [...a.ring.jwks(NOW_MS).keys, ...b.ring.jwks(NOW_MS).keys] };
    const v = t.verifier();
    await v.start();
    const token = tokenFor(a.ring);
    await v.verify(token);
    t.jwks = b.ring.jwks(NOW_MS);
    await v.refreshKeys();
    await assert.rejects(v.verify(token), isCode('unauthorized'));
    assert.equal((await v.verify(tokenFor(b.ring))).sub, 'user-1');
  });

  it('imports only signature keys whose alg fits the key', () => {
    const ed = records.EdDSA;
    const es = records.ES256;
    const rs = records.RS256;
    const { keys, ignored } = importJwks({
      keys: [
        jwkOf(ed, { alg: 'RS256' }), // alg that does not fit an OKP key
        jwkOf(es, { alg: 'EdDSA', kid: 'es-as-eddsa' }),
        jwkOf(rs, { alg: 'ES256', kid: 'rs-as-es' }),
        jwkOf(ed, { kid: 'enc', use: 'enc' }),
        jwkOf(ed, { kid: 'none', alg: 'none' }),
        jwkOf(ed, { kid: 'lower', alg: 'eddsa' }),
        jwkOf(ed, { kid: 'no-alg', alg: undefined }),
        jwkOf(ed, { kid: 'ops', key_ops: ['encrypt'] }),
        jwkOf(ed, { kid: 'private', d: 'AAAA' }),
        { kid: 'hs', alg: 'HS256', kty: 'oct', k: Buffer.alloc(32, 1).toString('base64url') },
        jwkOf(ed, { kid: 'dup' }), jwkOf(ed, { kid: 'dup' }),
        jwkOf(ed, { kid: 'x-number', x: 42 }),
        null, 'key', [],
        jwkOf(es, { key_ops: ['verify'] }),
        jwkOf(rs, { use: undefined }),
      ],
    });
    assert.deepEqual([...keys.keys()].sort(), [es.kid, rs.kid].sort());
    assert.equal(keys.get(es.kid)!.alg, 'ES256');
    assert.equal(keys.get(rs.kid)!.alg, 'RS256');
    assert.ok(keys.get(rs.kid)!.key.equals(createPublicKey({ key: JSON.parse(rs.publicJwk!), format: 'jwk' })));
    assert.equal(ignored, 16);
    for (const doc of [null, [], {}, { keys: {} }, { keys: Array(101).fill(jwkOf(ed)) }]) assert.throws(() => importJwks(doc), /JWKS/);
  });

  it('a key published under a wrong alg is ignored: its tokens are refused', async () => {
    const a = await makeKey();
    t.jwks = { keys: [{ ...a.ring.jwks(NOW_MS).keys[0], alg: 'RS256' }] };
    const v = t.verifier();
    await v.start();
    assert.equal(v.status().keys, 0);
    assert.equal(v.status().healthy, false);
    await assert.rejects(v.verify(tokenFor(a.ring)), isCode('unauthorized'));
  });

  it('refuses every attack token (alg none, wrong typ, wrong iss, key confusion, …); HS256 cannot be verified remotely', async () => {
    const ring = new KeyRing(ringRecords(records, 'EdDSA', NOW_MS));
    t.jwks = ring.jwks(NOW_MS);
    const v = t.verifier();
    await v.start();
    const claims = validClaims();
    const attacks = attackTokens({ records: Object.values(records), ring, claims, nowSeconds: TEST_NOW_SECONDS, ...TEST_VERIFY });
    for (const name of ['alg none, empty signature', 'typ JWT', 'typ missing', 'wrong iss', 'foreign key with our kid']) {
      assert.ok(attacks.some((a) => a.name === name), name);
    }
    for (const { name, token } of attacks) {
      await assert.rejects(v.verify(token as string), isCode('unauthorized'), name);
    }
    assert.equal(t.count(JWKS_PATH), 1, 'hostile kids never trigger a fetch within the cooldown');
    const hsRing = new KeyRing([{ ...records.HS256, createdAt: 0, activatesAt: 0 }]);
    await assert.rejects(v.verify(tokenFor(hsRing)), isCode('unauthorized'));
    assert.equal((await v.verify(tokenFor(ring))).sub, claims.sub, 'the valid token passes');
  });
});

describe('remote verifier: options', () => {
  const base = { issuer: ISSUER, serviceKey: 'k'.repeat(40) };

  it('revocations "feed" (the default) without a serviceKey is a construction error', () => {
    assert.throws(() => createRemoteVerifier({ issuer: ISSUER }), (e) => isCode('invalid_request')(e) && /serviceKey/.test((e as Error).message));
    assert.throws(() => createRemoteVerifier({ issuer: ISSUER, revocations: 'feed', serviceKey: '' }), isCode('invalid_request'));
    assert.throws(() => createRemoteVerifier({ issuer: ISSUER, serviceKey: 'two words' }), isCode('invalid_request'));
  });

  it('checks URLs and timings', () => {
    const bad = [
      { issuer: 'not a url' },
      { issuer: 'http://auth.example.com' }, // plain http off loopback
      { jwksUrl: 'ftp://auth.example/jwks' },
      { revocationsUrl: 'https://user:pass@auth.example/auth/revocations' },
      { pollIntervalMs: 5000, maxLagSeconds: 5 },
      { maxLagSeconds: 0 },
      { clockToleranceSeconds: 31 },
      { timeoutMs: 0 },
      { revocations: 'some' as 'none' },
    ];
    for (const options of bad) assert.throws(() => createRemoteVerifier({ ...base, ...options }), isCode('invalid_request'), JSON.stringify(options));
    createRemoteVerifier({ ...base, issuer: 'http://127.0.0.1:3000' });
    createRemoteVerifier({ ...base, issuer: 'http://tessera:3000', allowInsecureHttp: true });
  });

  it('JWKS only ("none"): never reads the feed, says so, and does not enforce revocations', async () => {
    const t = new FakeTessera();
    const { ring } = await makeKey();
    t.jwks = ring.jwks(NOW_MS);
    t.revoke('session', 'session-1');
    const v = t.verifier({ revocations: 'none', serviceKey: undefined });
    await v.start();
    t.clock.advanceSeconds(600);
    assert.equal((await v.verify(tokenFor(ring))).sid, 'session-1');
    assert.equal(t.count(FEED_PATH), 0);
    assert.deepEqual(v.status(), { revocations: 'none', keys: 1, feedCursor: null, lastSyncAt: null, lagSeconds: null, healthy: true });
    t.stopAll();
  });
});

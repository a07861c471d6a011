import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { TesseraError } from '../../src/index.js';
import { CLIENT, makeTessera, PASSWORD, signedIn } from './fixture.js';

describe('JWT mode', () => {
  it('issues RFC 9068 access tokens that jose verifies against the published JWKS', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt');
    assert.equal(s.result.mode, 'jwt');
    if (s.result.mode !== 'jwt') return;
    const header = decodeProtectedHeader(s.result.accessToken);
    assert.deepEqual(Object.keys(header).sort(), ['alg', 'kid', 'typ']);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'EdDSA');
    const claims = decodeJwt(s.result.accessToken);
    assert.deepEqual(Object.keys(claims).sort(), ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
    assert.equal(claims.exp! - claims.iat!, 900);
    assert.equal(claims.sid, s.sessionId);
    assert.equal(claims.client_id, 'tessera');
    const jwk = f.auth.jwks().keys.find((k) => (k as { kid: string }).kid === header.kid)!;
    const key = await importJWK(jwk as Parameters<typeof importJWK>[0], 'EdDSA');
    const verified = await jwtVerify(s.result.accessToken, key, {
      issuer: 'https://auth.example.com', audience: 'https://auth.example.com', typ: 'at+jwt', currentDate: new Date(f.clock.nowMs()),
    });
    assert.equal(verified.payload.sub, s.user.id);
  });

  it('refuses an expired token as expired, and within the clock tolerance still accepts it', async () => {
    const f = await makeTessera({ clockToleranceSeconds: 5 });
    const s = await signedIn(f, 'jwt');
    f.clock.advanceSeconds(903);
    assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated');
    f.clock.advanceSeconds(3);
    const r = await f.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'expired');
  });

  it('rotates keys: the next key is published before it signs, the old one verifies until its tokens expire', async () => {
    const f = await makeTessera();
    const before = await signedIn(f, 'jwt');
    const oldKid = f.auth.jwks().keys.map((k) => (k as { kid: string }).kid);
    const { kid } = await f.auth.rotateKeys();
    const published = f.auth.jwks().keys.map((k) => (k as { kid: string }).kid);
    assert.ok(published.includes(kid) && published.includes(oldKid[0]!), 'both keys published');
    const during = await signedIn(f, 'jwt');
    assert.equal(during.result.mode === 'jwt' && decodeProtectedHeader(during.result.accessToken).kid, oldKid[0], 'the old key still signs during the publish lead');
    f.clock.advanceSeconds(61);
    const after = await signedIn(f, 'jwt');
    assert.equal(after.result.mode === 'jwt' && decodeProtectedHeader(after.result.accessToken).kid, kid, 'the new key signs after the lead');
    assert.equal((await f.auth.authenticate(before.headers)).status, 'authenticated', 'old tokens still verify');
    f.clock.advanceSeconds(900 + 5 + 1);
    assert.deepEqual(f.auth.jwks().keys.map((k) => (k as { kid: string }).kid), [kid], 'the old key leaves the JWKS after its last token expired');
  });

  it('a start with another algorithm creates no key; the next rotation switches, published first, the old key retired', async () => {
    const f = await makeTessera();
    const g = await makeTessera({ jwtAlgorithm: 'ES256' }, { store: f.store, clock: f.clock });
    const [ed] = await f.store.listSigningKeys();
    assert.deepEqual((await f.store.listSigningKeys()).map((k) => k.alg), ['EdDSA'], 'the start created nothing');
    const before = await signedIn(g, 'jwt');
    assert.equal(before.result.mode === 'jwt' && decodeProtectedHeader(before.result.accessToken).alg, 'EdDSA');
    const { kid } = await g.auth.rotateKeys();
    const during = await signedIn(g, 'jwt');
    assert.equal(during.result.mode === 'jwt' && decodeProtectedHeader(during.result.accessToken).alg, 'EdDSA', 'not during the publish lead');
    const old = (await f.store.listSigningKeys()).find((k) => k.kid === ed!.kid)!;
    assert.ok(old.retiresAt !== null && old.expiresAt !== null, 'the EdDSA key retires and expires');
    f.clock.advanceSeconds(61);
    const after = await signedIn(g, 'jwt');
    assert.deepEqual(after.result.mode === 'jwt' && decodeProtectedHeader(after.result.accessToken), { alg: 'ES256', typ: 'at+jwt', kid });
    assert.equal((await g.auth.authenticate(before.headers)).status, 'authenticated', 'tokens of the old key still verify');
    // Back to EdDSA: again no key at start (the ES256 key signs), and a rotation switches back.
    const h = await makeTessera({}, { store: f.store, clock: f.clock });
    assert.equal((await f.store.listSigningKeys()).length, 2);
    await h.auth.rotateKeys();
    f.clock.advanceSeconds(61);
    const back = await signedIn(h, 'jwt');
    assert.equal(back.result.mode === 'jwt' && decodeProtectedHeader(back.result.accessToken).alg, 'EdDSA');
  });

  it('a start with every key retired creates one that signs at once', async () => {
    const f = await makeTessera();
    const [key] = await f.store.listSigningKeys();
    await f.store.updateSigningKey(key!.kid, { retiresAt: f.clock.nowMs(), expiresAt: f.clock.nowMs() + 905_000 });
    const g = await makeTessera({}, { store: f.store, clock: f.clock });
    const s = await signedIn(g, 'jwt');
    const kid = s.result.mode === 'jwt' ? decodeProtectedHeader(s.result.accessToken).kid : undefined;
    assert.ok(kid !== undefined && kid !== key!.kid);
    assert.equal((await f.store.listSigningKeys()).length, 2);
  });

  it('a dry-run rotation changes nothing', async () => {
    const f = await makeTessera();
    const keysBefore = JSON.stringify(f.auth.jwks());
    await f.auth.rotateKeys({ dryRun: true });
    assert.equal(JSON.stringify(f.auth.jwks()), keysBefore);
    assert.equal((await f.store.listSigningKeys()).length, 1);
  });

  it('keeps keys across restarts: a second instance on the same store verifies the first one\'s tokens', async () => {
    const f = await makeTessera({ jwtAlgorithm: 'ES256' });
    const s = await signedIn(f, 'jwt');
    const g = await makeTessera({ jwtAlgorithm: 'ES256' }, { store: f.store, clock: f.clock });
    assert.equal((await g.auth.authenticate(s.headers)).status, 'authenticated');
  });

  for (const alg of ['ES256', 'RS256', 'HS256'] as const) {
    it(`signs and verifies with ${alg}`, async () => {
      const f = await makeTessera({ jwtAlgorithm: alg });
      const s = await signedIn(f, 'jwt');
      assert.equal(s.result.mode === 'jwt' && decodeProtectedHeader(s.result.accessToken).alg, alg);
      assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated');
      if (alg === 'HS256') assert.equal(f.auth.jwks().keys.length, 0, 'symmetric keys are never published');
    });
  }

  it('refuses two Authorization headers and non-Bearer schemes', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt');
    const h = s.headers.authorization!;
    assert.equal((await f.auth.authenticate({ authorization: [h, h] })).status, 'anonymous');
    assert.equal((await f.auth.authenticate({ authorization: h.replace('Bearer', 'Basic') })).status, 'anonymous');
  });

  it('reads the Bearer scheme in any case with any number of spaces, and nothing else', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt');
    const token = s.headers.authorization!.slice('Bearer '.length);
    // Accepted (the token is verified and cached by the first).
    for (const value of [`Bearer ${token}`, `bearer ${token}`, `BEARER   ${token}`, `Bearer ${token}  `]) {
      assert.equal((await f.auth.authenticate({ authorization: value })).status, 'authenticated', value.slice(0, 12));
    }
    // Refused, though the token itself is in the verified-token cache: whitespace inside it or
    // around it other than spaces (in the signature too, which a lenient base64url decoder would
    // skip), no space after the scheme, another scheme, an empty token.
    const [head, payload, signature] = token.split('.');
    const refused = [
      `Bearer ${head}. ${payload}.${signature}`, `Bearer ${token.slice(0, 40)}\t${token.slice(40)}`, `Bearer ${token}\t`,
      `Bearer\t${token}`, `Bearer${token}`, ` Bearer ${token}`, `Bearer\u00a0${token}`, `Bearer ${token}\u00a0`,
      `Bearer ${token.slice(0, 40)}\u2028${token.slice(40)}`, `Bearer ${head}.${payload}.${signature!.slice(0, 20)} ${signature!.slice(20)}`,
      `Bearer ${token.slice(0, -4)}\n${token.slice(-4)}`, `Bearers ${token}`, 'Bearer ', 'Bearer    ', 'Bearer',
    ];
    for (const value of refused) {
      const r = await f.auth.authenticate({ authorization: value });
      assert.deepEqual([r.status, r.status === 'anonymous' && r.reason], ['anonymous', 'invalid'], JSON.stringify(value.slice(0, 12)));
    }
  });
});

describe('sign-in', () => {
  it('answers an unknown email exactly like a wrong password, and burns a hash for it', async () => {
    const f = await makeTessera();
    await f.auth.register({ email: 'known@example.com', password: PASSWORD });
    let burned = 0;
    const hasher = (await import('../../src/password/password-hasher.js')).createArgon2Hasher({ memoryKiB: 1024, timeCost: 1 });
    const g = await makeTessera({ passwordHasher: { ...hasher, burn: async (p: string) => { burned++; return hasher.burn(p); } } }, { store: f.store, clock: f.clock });
    const unknown = await g.auth.signIn({ email: 'nobody@example.com', password: PASSWORD }, CLIENT).catch((e: unknown) => e);
    const wrong = await g.auth.signIn({ email: 'known@example.com', password: 'not the password at all' }, CLIENT).catch((e: unknown) => e);
    assert.ok(unknown instanceof TesseraError && wrong instanceof TesseraError);
    assert.deepEqual(unknown.toJSON(), wrong.toJSON());
    assert.equal(unknown.status, wrong.status);
    assert.equal(burned, 1);
  });

  it('throttles per account and IP, counting unknown emails alike, and a success resets it', async () => {
    const f = await makeTessera({ loginMaxFailures: 3 });
    await f.auth.register({ email: 'k@example.com', password: PASSWORD });
    for (const email of ['k@example.com', 'ghost@example.com']) {
      for (let i = 0; i < 3; i++) await assert.rejects(f.auth.signIn({ email, password: 'nope nope nope nope' }, CLIENT), { code: 'invalid_credentials' });
      await assert.rejects(f.auth.signIn({ email, password: PASSWORD }, CLIENT), (e: unknown) => e instanceof TesseraError && e.code === 'rate_limited' && (e.retryAfterSeconds ?? 0) > 0);
    }
    assert.equal((await f.auth.signIn({ email: 'k@example.com', password: PASSWORD }, { ip: '198.51.100.1' })).mode, 'session', 'another IP is not throttled');
    f.clock.advanceSeconds(901);
    await f.auth.signIn({ email: 'k@example.com', password: PASSWORD }, CLIENT);
    for (let i = 0; i < 2; i++) await assert.rejects(f.auth.signIn({ email: 'k@example.com', password: 'nope nope nope nope' }, CLIENT));
    assert.equal((await f.auth.signIn({ email: 'k@example.com', password: PASSWORD }, CLIENT)).mode, 'session', 'the success reset the count');
  });

  it('a sign-in that could not be judged (503) is not counted: retries through an outage end neither in 429 nor in the lock', async () => {
    const f = await makeTessera({ loginMaxFailures: 3 });
    await f.auth.register({ email: 'outage@example.com', password: PASSWORD });
    const lookUp = f.store.getUserByEmail.bind(f.store);
    f.store.getUserByEmail = async () => { throw new Error('connection lost'); };
    // More than the pair limit from one address, and more than the 100-failure account lock.
    for (let i = 0; i < 5; i++) await assert.rejects(f.auth.signIn({ email: 'outage@example.com', password: PASSWORD }, CLIENT), { code: 'unavailable' });
    for (let i = 0; i < 101; i++) await assert.rejects(f.auth.signIn({ email: 'outage@example.com', password: PASSWORD }, { ip: `198.51.100.${i}` }), { code: 'unavailable' });
    f.store.getUserByEmail = lookUp;
    assert.equal((await f.auth.signIn({ email: 'outage@example.com', password: PASSWORD }, CLIENT)).mode, 'session');
    // Wrong passwords still count, as before.
    for (let i = 0; i < 3; i++) await assert.rejects(f.auth.signIn({ email: 'outage@example.com', password: 'nope nope nope nope' }, CLIENT), { code: 'invalid_credentials' });
    await assert.rejects(f.auth.signIn({ email: 'outage@example.com', password: PASSWORD }, CLIENT), { code: 'rate_limited' });
  });

  it('holds a concurrent burst of wrong passwords to the limit (each attempt counted before hashing)', async () => {
    const f = await makeTessera({ loginMaxFailures: 5 });
    await f.auth.register({ email: 'burst@example.com', password: PASSWORD });
    const results = await Promise.allSettled(Array.from({ length: 15 }, () => f.auth.signIn({ email: 'burst@example.com', password: 'a wrong password here' }, CLIENT)));
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as TesseraError).code : 'signed_in'));
    assert.equal(codes.filter((c) => c === 'invalid_credentials').length, 5, codes.join(','));
    assert.equal(codes.filter((c) => c === 'rate_limited').length, 10);
    // The right password is held too, until the window passes; then a success clears the count.
    await assert.rejects(f.auth.signIn({ email: 'burst@example.com', password: PASSWORD }, CLIENT), { code: 'rate_limited' });
    f.clock.advanceSeconds(900);
    assert.equal((await f.auth.signIn({ email: 'burst@example.com', password: PASSWORD }, CLIENT)).mode, 'session');
    await assert.rejects(f.auth.signIn({ email: 'burst@example.com', password: 'a wrong password here' }, CLIENT), { code: 'invalid_credentials' });
  });

  it('rehashes on sign-in when the hash parameters were raised', async () => {
    const f = await makeTessera();
    await f.auth.register({ email: 'h@example.com', password: PASSWORD });
    const oldHash = (await f.store.getUserByEmail('h@example.com'))!.passwordHash;
    const { createArgon2Hasher } = await import('../../src/password/password-hasher.js');
    const g = await makeTessera({ passwordHasher: createArgon2Hasher({ memoryKiB: 2048, timeCost: 1 }) }, { store: f.store, clock: f.clock });
    await g.auth.signIn({ email: 'h@example.com', password: PASSWORD }, CLIENT);
    const newHash = (await f.store.getUserByEmail('h@example.com'))!.passwordHash;
    assert.notEqual(newHash, oldHash);
    assert.match(newHash, /m=2048/);
  });

  it('rejects bad input with invalid_request, never a crash', async () => {
    const f = await makeTessera();
    for (const email of [undefined, 5, {}, '', 'no-at-sign', 'a@b@c', `${'x'.repeat(300)}@example.com`, 'sp ace@example.com']) {
      await assert.rejects(f.auth.register({ email, password: PASSWORD }), { code: 'invalid_request' });
    }
    await assert.rejects(f.auth.signIn({ email: 'a@example.com', password: PASSWORD, mode: 'cookie' }, CLIENT), { code: 'invalid_request' });
    await assert.rejects(f.auth.register({ email: 'a@example.com', password: ['x'] }), { code: 'invalid_request' });
  });
});

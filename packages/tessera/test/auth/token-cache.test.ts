import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slotOf, VerifiedTokenCache } from '../../src/jwt/verified-token-cache.js';
import type { AccessTokenClaims } from '../../src/jwt/access-token.js';
import { KeyManager } from '../../src/auth/key-manager.js';
import { ManualClock, TesseraError } from '../../src/index.js';
import { resolveOptions } from '../../src/options.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { makeTessera, signedIn } from './fixture.js';

const claims = (exp: number): AccessTokenClaims => ({ iss: 'i', aud: 'a', sub: 's', sid: 'x', client_id: 'tessera', iat: exp - 900, exp, jti: String(exp) });

/** A token verified twice in a row: what the cache stores (see `admit`). */
function store(cache: VerifiedTokenCache, token: string, c: AccessTokenClaims): void {
  cache.admit(token, c);
  cache.admit(token, c);
}

describe('VerifiedTokenCache', () => {
  it('is bounded, evicting the oldest entry first', () => {
    const cache = new VerifiedTokenCache(3);
    for (let i = 0; i < 5; i++) store(cache, `t${i}`, claims(1000 + i));
    assert.equal(cache.size, 3);
    // (At 500 s every entry is issued and unexpired: only eviction can make one miss.)
    assert.equal(cache.get('t0', 500, 0), undefined);
    assert.equal(cache.get('t1', 500, 0), undefined);
    assert.equal(cache.get('t4', 500, 0)?.exp, 1004);
  });
  it('never returns an expired entry (within the tolerance it still does)', () => {
    const cache = new VerifiedTokenCache(10);
    store(cache, 't', claims(1000));
    assert.ok(cache.get('t', 1004, 5));
    assert.equal(cache.get('t', 1005, 5), undefined);
    assert.equal(cache.size, 0, 'dropped on sight');
  });
  it('misses an entry whose iat or nbf is in the future again (the clock was stepped back)', () => {
    const cache = new VerifiedTokenCache(10);
    store(cache, 't', claims(1000));
    assert.ok(cache.get('t', 100, 5));
    assert.equal(cache.get('t', 94, 5), undefined, 'iat 100 is more than the tolerance ahead of 94');
    store(cache, 'n', { ...claims(1000), nbf: 200 });
    assert.equal(cache.get('n', 150, 5), undefined);
  });
  it('hits only the very token that was stored: any one character changed, added or removed misses', () => {
    const cache = new VerifiedTokenCache(10);
    // The shape of a real EdDSA token: header, payload, an 86-character signature.
    const token = `eyJhbGciOiJFZERTQSJ9.${Buffer.from('{"sub":"s"}').toString('base64url')}.${Buffer.alloc(64, 7).toString('base64url')}`;
    store(cache, token, claims(1000));
    assert.ok(cache.get(token, 500, 0));
    // A copy made from other bytes (as each request's header is) still hits.
    assert.ok(cache.get(Buffer.from(token).toString('latin1'), 500, 0));
    for (let i = 0; i < token.length; i++) {
      const other = token[i] === 'A' ? 'B' : 'A';
      assert.equal(cache.get(`${token.slice(0, i)}${other}${token.slice(i + 1)}`, 500, 0), undefined, `character ${i} changed`);
      assert.equal(cache.get(`${token.slice(0, i)}${token.slice(i + 1)}`, 500, 0), undefined, `character ${i} removed`);
    }
    for (const longer of [`${token}A`, `A${token}`, `${token}=`, `${token}.`, ` ${token}`]) assert.equal(cache.get(longer, 500, 0), undefined, longer);
    assert.ok(cache.get(token, 500, 0), 'the misses left the entry alone');
  });
  it('two verified tokens in one slot take turns: the newer replaces the older, never answers for it', () => {
    // Brute-force a pair of token-like strings with the same slot (30-bit slots: ~2^15 tries).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const token = `h.p.${i.toString(36).padStart(8, '0')}`;
      const earlier = seen.get(slotOf(token));
      if (earlier !== undefined) pair = [earlier, token];
      seen.set(slotOf(token), token);
    }
    const [older, newer] = pair;
    const cache = new VerifiedTokenCache(10);
    store(cache, older, claims(1001));
    assert.equal(cache.get(newer, 500, 0), undefined, 'same slot, other token: a miss');
    store(cache, newer, claims(1002));
    assert.equal(cache.get(older, 500, 0), undefined, 'replaced: verified again at its next use');
    assert.equal(cache.get(newer, 500, 0)?.exp, 1002);
    store(cache, older, claims(1001));
    assert.equal(cache.get(older, 500, 0)?.exp, 1001);
    assert.equal(cache.get(newer, 500, 0), undefined);
  });
  it('can be turned off', () => {
    const cache = new VerifiedTokenCache(0);
    store(cache, 't', claims(1000));
    assert.equal(cache.get('t', 0, 0), undefined);
  });
  it('admits a token on its second verification, not its first; other tokens in between do not count for it', () => {
    const cache = new VerifiedTokenCache(100);
    cache.admit('a.b.first', claims(1000));
    assert.equal(cache.get('a.b.first', 500, 0), undefined, 'verified once: not stored');
    assert.equal(cache.size, 0);
    for (let i = 0; i < 50; i++) cache.admit(`a.b.once-${i}`, claims(1000));
    assert.equal(cache.size, 0, 'fifty tokens verified once each: none stored');
    cache.admit('a.b.first', claims(1000));
    assert.equal(cache.get('a.b.first', 500, 0)?.exp, 1000, 'verified twice: stored');
    assert.equal(cache.size, 1);
  });
  it('a mark stands for no token: a token whose slot shares the place of a marked one is only marked, and hits need the whole token', () => {
    const cache = new VerifiedTokenCache(1); // one place for marks: every slot shares it
    cache.admit('h.p.one', claims(1001));
    cache.admit('h.p.two', claims(1002)); // another slot: replaces the mark
    assert.equal(cache.size, 0);
    cache.admit('h.p.one', claims(1001)); // its mark was overwritten: marked again, not stored
    assert.equal(cache.get('h.p.one', 500, 0), undefined);
    cache.admit('h.p.one', claims(1001));
    assert.equal(cache.get('h.p.one', 500, 0)?.exp, 1001);
    assert.equal(cache.get('h.p.two', 500, 0), undefined);
  });
  it('clear forgets the marks too', () => {
    const cache = new VerifiedTokenCache(10);
    cache.admit('t', claims(1000));
    cache.clear();
    cache.admit('t', claims(1000));
    assert.equal(cache.get('t', 500, 0), undefined, 'first verification since the clear: only marked');
  });
});

describe('speed never buys a weaker check', () => {
  async function cachedToken() {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt');
    // The first use verifies and marks the token, the second verifies and stores it.
    for (let i = 0; i < 2; i++) assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated');
    return { f, s, token: s.headers.authorization!.slice('Bearer '.length) };
  }

  it('a revoked token is refused even though it is cached', async () => {
    const { f, s } = await cachedToken();
    await f.auth.endSession(s.user.id, s.sessionId, 'logout');
    const r = await f.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'revoked');
  });

  it('a cached token expires on time', async () => {
    const { f, s } = await cachedToken();
    f.clock.advanceSeconds(900 + 5);
    const r = await f.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'expired');
  });

  it('a tampered twin of a cached token misses the cache and fails verification', async () => {
    const { f, token } = await cachedToken();
    const [h, p, sig] = token.split('.');
    const twins = [
      `${h}.${p}.${sig!.slice(0, -2)}${sig!.slice(-2) === 'AA' ? 'BA' : 'AA'}`,
      `${h}.${p}.${sig}=`,
      `${h}.${p}.${sig}.`,
      `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'someone-else' })).toString('base64url')}.${sig}`,
    ];
    for (const t of twins) {
      const r = await f.auth.authenticate({ authorization: `Bearer ${t}` });
      assert.equal(r.status, 'anonymous', t);
    }
  });

  it("an ES256 token's high-S twin (a second valid signature) is refused as revoked too: revocation names the session, not the string", async () => {
    const f = await makeTessera({ jwtAlgorithm: 'ES256' });
    const s = await signedIn(f, 'jwt');
    const token = s.headers.authorization!.slice('Bearer '.length);
    const [h, p, sig] = token.split('.');
    const rs = Buffer.from(sig!, 'base64url');
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const highS = n - BigInt(`0x${rs.subarray(32).toString('hex')}`);
    const twin = `${h}.${p}.${Buffer.concat([rs.subarray(0, 32), Buffer.from(highS.toString(16).padStart(64, '0'), 'hex')]).toString('base64url')}`;
    assert.notEqual(twin, token);
    // Both verify (ECDSA is malleable), and both are cached on their second use.
    for (let i = 0; i < 2; i++) {
      for (const t of [token, twin]) assert.equal((await f.auth.authenticate({ authorization: `Bearer ${t}` })).status, 'authenticated');
    }
    await f.auth.endSession(s.user.id, s.sessionId, 'logout');
    for (const t of [token, twin]) {
      const r = await f.auth.authenticate({ authorization: `Bearer ${t}` });
      assert.equal(r.status === 'anonymous' && r.reason, 'revoked', t === twin ? 'the twin' : 'the token');
    }
  });

  it('the cache is dropped when the key ring changes', async () => {
    const { f, s } = await cachedToken();
    // Remove every key behind the service's back, then make it reload: the cached token must
    // be verified again, and fail, rather than be served from the cache.
    const store = f.store as unknown as { listSigningKeys(): Promise<unknown[]> };
    store.listSigningKeys = async () => [];
    await f.auth.refreshState();
    const r = await f.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'invalid');
  });

  it('a reload that finds the same keys keeps the cache; a changed key lifecycle drops it', async () => {
    const store = createMemoryStore();
    await store.migrate();
    let changes = 0;
    const keys = new KeyManager(resolveOptions({ store, issuer: 'https://auth.example.com', clock: new ManualClock() }), 'i1', () => { changes += 1; });
    await keys.load();
    assert.equal(changes, 1, 'the first key');
    for (let i = 0; i < 3; i++) await keys.reload();
    assert.equal(changes, 1, 'periodic reloads that find nothing new');
    const [key] = await store.listSigningKeys();
    await store.updateSigningKey(key!.kid, { retiresAt: key!.activatesAt + 1, expiresAt: key!.activatesAt + 2 });
    await keys.reload();
    assert.equal(changes, 2, 'an emergency retirement elsewhere');
  });

  it('a store that fails during the reload for an unknown kid is a 503, not a refusal', async () => {
    const { f, token } = await cachedToken();
    const [h, p, sig] = token.split('.');
    const header = { ...JSON.parse(Buffer.from(h!, 'base64url').toString()), kid: 'rotated-in-elsewhere' };
    const unknownKid = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${sig}`;
    f.store.listSigningKeys = async () => { throw new Error('connection lost'); };
    await assert.rejects(f.auth.authenticate({ authorization: `Bearer ${unknownKid}` }), (e: unknown) => e instanceof TesseraError && e.code === 'unavailable' && e.status === 503);
  });

});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerifiedTokenCache } from '../../src/jwt/verified-token-cache.js';
import type { AccessTokenClaims } from '../../src/jwt/access-token.js';
import { makeTessera, signedIn } from './fixture.js';

const claims = (exp: number): AccessTokenClaims => ({ iss: 'i', aud: 'a', sub: 's', sid: 'x', client_id: 'tessera', iat: exp - 900, exp, jti: String(exp) });

describe('VerifiedTokenCache', () => {
  it('is bounded, evicting the oldest entry first', () => {
    const cache = new VerifiedTokenCache(3);
    for (let i = 0; i < 5; i++) cache.set(`t${i}`, claims(1000 + i));
    assert.equal(cache.size, 3);
    // (At 500 s every entry is issued and unexpired: only eviction can make one miss.)
    assert.equal(cache.get('t0', 500, 0), undefined);
    assert.equal(cache.get('t1', 500, 0), undefined);
    assert.equal(cache.get('t4', 500, 0)?.exp, 1004);
  });
  it('never returns an expired entry (within the tolerance it still does)', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('t', claims(1000));
    assert.ok(cache.get('t', 1004, 5));
    assert.equal(cache.get('t', 1005, 5), undefined);
    assert.equal(cache.size, 0, 'dropped on sight');
  });
  it('misses an entry whose iat or nbf is in the future again (the clock was stepped back)', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('t', claims(1000));
    assert.ok(cache.get('t', 100, 5));
    assert.equal(cache.get('t', 94, 5), undefined, 'iat 100 is more than the tolerance ahead of 94');
    cache.set('n', { ...claims(1000), nbf: 200 });
    assert.equal(cache.get('n', 150, 5), undefined);
  });
  it('can be turned off', () => {
    const cache = new VerifiedTokenCache(0);
    cache.set('t', claims(1000));
    assert.equal(cache.get('t', 0, 0), undefined);
  });
});

describe('speed never buys a weaker check', () => {
  async function cachedToken() {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt');
    assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated', 'first use verifies and caches');
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
});

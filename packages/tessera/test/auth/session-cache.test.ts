import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentCache } from '../../src/recent-cache.js';
import { makeTessera, signedIn } from './fixture.js';

describe('RecentCache', () => {
  it('expires entries after maxAge, on a clock that goes back too, and stays bounded', () => {
    const cache = new RecentCache<number>(2, 1000);
    cache.set('a', 1, 5000);
    assert.equal(cache.get('a', 5999), 1);
    assert.equal(cache.get('a', 6000), undefined);
    cache.set('b', 2, 5000);
    assert.equal(cache.get('b', 4999), undefined, 'clock went back');
    cache.set('c', 3, 0);
    cache.set('d', 4, 0);
    cache.set('e', 5, 0);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('c', 0), undefined);
  });
});

/** The cache is opt-in (the default reads the store on every request); these tests turn it on. */
const CACHED = { sessionCacheMaxAgeMs: 1000 };

describe('the session cache never weakens a check', () => {
  async function countReads(f: Awaited<ReturnType<typeof makeTessera>>) {
    let reads = 0;
    const get = f.store.getSessionAndUser.bind(f.store);
    f.store.getSessionAndUser = async (id) => { reads++; return get(id); };
    return () => reads;
  }

  it('is off by default: every request reads the store', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'session');
    const reads = await countReads(f);
    for (let i = 0; i < 5; i++) assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated');
    assert.equal(reads(), 5);
  });

  it('a busy session costs one store read per max age', async () => {
    const f = await makeTessera(CACHED);
    const s = await signedIn(f, 'session');
    const reads = await countReads(f);
    for (let i = 0; i < 50; i++) assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated');
    assert.equal(reads(), 1);
    f.clock.advanceSeconds(1);
    await f.auth.authenticate(s.headers);
    assert.equal(reads(), 2);
  });

  it('a sign-out on this instance ends a cached session at once', async () => {
    const f = await makeTessera(CACHED);
    const s = await signedIn(f, 'session');
    assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated');
    await f.auth.endSession(s.user.id, s.sessionId, 'logout');
    const r = await f.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'revoked');
  });

  it('a signed-out cookie stays refused after the view entry would have lapsed, even when the cache outlives the access-token TTL', async () => {
    // A 30 s access-token TTL and a 60 s cache: the entry that ends the cached copy must live
    // as long as the copy could (once it lived TTL + tolerance, 35 s, and the copy came back).
    const f = await makeTessera({ sessionCacheMaxAgeMs: 60_000, accessTokenTtlSeconds: 30, sessionIdleTimeoutSeconds: 3600 });
    const s = await signedIn(f, 'session');
    assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated', 'cached');
    // Another instance ends it: this one learns only through the feed, not by a read.
    const other = await makeTessera({ sessionCacheMaxAgeMs: 60_000, accessTokenTtlSeconds: 30 }, { store: f.store, clock: f.clock });
    await other.auth.endSession(s.user.id, s.sessionId, 'logout');
    await f.auth.refreshState();
    for (const seconds of [1, 36, 20]) {
      f.clock.advanceSeconds(seconds);
      const r = await f.auth.authenticate(s.headers);
      assert.equal(r.status === 'anonymous' && r.reason, 'revoked', `${seconds} s later`);
    }
    await other.auth.close();
  });

  it('a revocation on another instance (no bus) is enforced within the max age', async () => {
    const a = await makeTessera(CACHED);
    const b = await makeTessera(CACHED, { store: a.store, clock: a.clock });
    const s = await signedIn(a, 'session');
    assert.equal((await b.auth.authenticate(s.headers)).status, 'authenticated', 'B caches it');
    await a.auth.endSession(s.user.id, s.sessionId, 'logout');
    a.clock.advanceSeconds(1);
    const r = await b.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'revoked');
  });

  it('with the cache off, every request reads the store and another instance\'s revocation holds at once', async () => {
    const a = await makeTessera({ sessionCacheMaxAgeMs: 0 });
    const b = await makeTessera({ sessionCacheMaxAgeMs: 0 }, { store: a.store, clock: a.clock });
    const s = await signedIn(a, 'session');
    assert.equal((await b.auth.authenticate(s.headers)).status, 'authenticated');
    await a.auth.endSession(s.user.id, s.sessionId, 'logout');
    assert.equal((await b.auth.authenticate(s.headers)).status, 'anonymous');
  });

  it('a forged secret for a cached session id misses the cache and is refused', async () => {
    const f = await makeTessera(CACHED);
    const s = await signedIn(f, 'session');
    assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated');
    const forged = `${s.sessionId}.${Buffer.alloc(32, 9).toString('base64url')}`;
    const r = await f.auth.authenticate({ cookie: `__Host-tessera_session=${forged}` });
    assert.equal(r.status === 'anonymous' && r.reason, 'invalid');
  });

  it('expiry is checked on every hit', async () => {
    // A max age longer than the idle timeout, so the refusal can only come from the hit path.
    const f = await makeTessera({ sessionIdleTimeoutSeconds: 10, sessionAbsoluteTimeoutSeconds: 120, sessionCacheMaxAgeMs: 60_000 });
    const s = await signedIn(f, 'session');
    const reads = await countReads(f);
    assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated');
    f.clock.advanceSeconds(11);
    const r = await f.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'expired');
    assert.equal(reads(), 1, 'decided from the cached copy');
  });
});

describe('the session cache during a store outage', () => {
  it('stands down once any store call has failed: cached cookies get 503, not 200', async () => {
    const f = await makeTessera(CACHED);
    const s = await signedIn(f, 'session');
    assert.equal((await f.auth.authenticate(s.headers)).status, 'authenticated', 'cached');
    const boom = async () => { throw new Error('connection refused'); };
    f.store.getSessionAndUser = boom;
    f.store.listRevocations = boom;
    // The outage is noticed by any store call (here the revocation catch-up)...
    await assert.rejects(f.auth.refreshState(), { code: 'unavailable' });
    // ...after which a cached credential is checked against the store again, and fails closed.
    await assert.rejects(f.auth.authenticate(s.headers), { code: 'unavailable' });
  });
});

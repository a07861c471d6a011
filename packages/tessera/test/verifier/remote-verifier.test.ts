import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { epochSeconds } from '../../src/clock.js';
import { isTesseraError } from '../../src/errors.js';
import { FakeTessera, FEED_PATH, JWKS_PATH, makeKey, SERVICE_KEY, tokenFor } from './fake-tessera.js';

const isCode = (code: string) => (error: unknown): boolean => isTesseraError(error) && error.code === code;

describe('remote verifier: steady state', () => {
  let t: FakeTessera;
  beforeEach(() => { t = new FakeTessera(); });
  afterEach(() => t.stopAll());

  it('verifies with no fetch per request once started', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const v = t.verifier();
    await v.start();
    assert.equal(t.count(JWKS_PATH), 1);
    assert.equal(t.count(FEED_PATH), 1);
    const before = t.calls.length;
    const same = tokenFor(ring);
    for (let i = 0; i < 100; i++) {
      // Half the same token (cache hits), half distinct ones (full signature checks).
      const token = i % 2 === 0 ? same : tokenFor(ring, { jti: `jti-${i}` });
      const claims = await v.verify(token);
      assert.equal(claims.sub, 'user-1');
    }
    assert.equal(t.calls.length - before, 0, 'no call to Tessera per request');
    const status = v.status();
    assert.deepEqual({ ...status, lagSeconds: undefined }, {
      revocations: 'feed', keys: 1, feedCursor: 0, lastSyncAt: t.clock.nowMs(), lagSeconds: undefined, healthy: true,
    });
    assert.deepEqual(t.feedAuthorizations, [`Bearer ${SERVICE_KEY}`]);
  });

  it('returns frozen claims, so a caller cannot poison the cache', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const v = t.verifier();
    await v.start();
    const claims = await v.verify(tokenFor(ring));
    assert.throws(() => { (claims as { sub: string }).sub = 'admin'; }, TypeError);
    assert.equal((await v.verify(tokenFor(ring))).sub, 'user-1');
  });

  it('verifyRequest reads only a single well-formed Bearer header', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const v = t.verifier();
    await v.start();
    const token = tokenFor(ring);
    assert.equal((await v.verifyRequest({ authorization: `Bearer ${token}` })).sid, 'session-1');
    assert.equal((await v.verifyRequest({ authorization: `bearer  ${token}` })).sid, 'session-1');
    for (const authorization of [undefined, '', token, `Basic ${token}`, `Bearer ${token} x`, `Bearer`, [`Bearer ${token}`, `Bearer ${token}`]]) {
      await assert.rejects(v.verifyRequest({ authorization }), isCode('unauthorized'), String(authorization).slice(0, 20));
    }
  });

  it('refuses a token after a session entry for its sid arrives and one poll runs', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const v = t.verifier();
    await v.start();
    const token = tokenFor(ring);
    const other = tokenFor(ring, { sid: 'session-2', jti: 'jti-2' });
    await v.verify(token);
    t.revoke('session', 'session-1');
    assert.equal((await v.verify(token)).sid, 'session-1', 'not yet polled');
    await v.sync();
    await assert.rejects(v.verify(token), isCode('unauthorized'));
    assert.equal((await v.verify(other)).sid, 'session-2', 'other sessions are unaffected');
    assert.equal(v.status().feedCursor, 1);
  });

  it('refuses a token whose jti is revoked', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const v = t.verifier();
    await v.start();
    t.revoke('jti', 'jti-1');
    await v.sync();
    await assert.rejects(v.verify(tokenFor(ring)), isCode('unauthorized'));
    assert.equal((await v.verify(tokenFor(ring, { jti: 'jti-2' }))).jti, 'jti-2');
  });

  it('a user "not before" refuses tokens issued before it, not after', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const v = t.verifier();
    await v.start();
    const old = tokenFor(ring);
    t.revoke('user', 'user-1');
    await v.sync();
    await assert.rejects(v.verify(old), isCode('unauthorized'));
    await assert.rejects(v.verify(tokenFor(ring, { sid: 'session-9', jti: 'j9' })), isCode('unauthorized'), 'another session of the same user');
    t.clock.advanceSeconds(2);
    const now = epochSeconds(t.clock);
    const fresh = tokenFor(ring, { sid: 'session-new', jti: 'j-new', iat: now, exp: now + 900 });
    assert.equal((await v.verify(fresh)).sid, 'session-new');
    assert.equal((await v.verify(tokenFor(ring, { sub: 'user-2' }))).sub, 'user-2', 'other users are unaffected');
  });

  it('catches up from 0 in pages of 1000', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    for (let i = 0; i < 2500; i++) t.revoke('session', `s-${i}`);
    t.revoke('session', 'session-1');
    const v = t.verifier();
    await v.start();
    assert.equal(t.count(FEED_PATH), 3);
    assert.equal(v.status().feedCursor, 2501);
    await assert.rejects(v.verify(tokenFor(ring)), isCode('unauthorized'));
  });
});

describe('remote verifier: failing closed', () => {
  let t: FakeTessera;
  beforeEach(() => { t = new FakeTessera(); });
  afterEach(() => t.stopAll());

  it('feed unreachable: fine within the lag, unavailable past it for every token, recovers when it answers', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const v = t.verifier({ maxLagSeconds: 60 });
    await v.start();
    const tokens = [tokenFor(ring), tokenFor(ring, { jti: 'j2' }), tokenFor(ring, { sub: 'user-3', sid: 's3', jti: 'j3' })];
    t.feedDown = true;
    t.clock.advanceSeconds(30);
    await assert.rejects(v.sync());
    for (const token of tokens) assert.equal((await v.verify(token)).iss, 'https://auth.example');
    t.clock.advanceSeconds(31);
    await assert.rejects(v.sync());
    for (const token of [...tokens, tokenFor(ring, { jti: 'never-seen' }, epochSeconds(t.clock) - 100)]) {
      await assert.rejects(v.verify(token), (e) => isCode('unavailable')(e) && isTesseraError(e) && (e.retryAfterSeconds ?? 0) >= 1);
    }
    assert.equal(v.status().healthy, false);
    assert.ok(v.status().lagSeconds! > 60);
    // An invalid token is still plainly invalid, and a known revocation still holds.
    await assert.rejects(v.verify('not.a.token'), isCode('unauthorized'));
    t.feedDown = false;
    await v.sync();
    assert.equal(v.status().healthy, true);
    for (const token of tokens) assert.equal((await v.verify(token)).iss, 'https://auth.example');
  });

  it('a clock stepped back since the last poll is no proof of freshness: it fails closed until a poll succeeds', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const v = t.verifier({ maxLagSeconds: 60 });
    await v.start();
    const token = tokenFor(ring, {}, epochSeconds(t.clock) - 10);
    assert.equal((await v.verify(token)).iss, 'https://auth.example');
    // NTP steps the clock 10 minutes back; the feed is down from then on. Measured by the wall
    // clock the last poll lies in the future (lag −600 s), which once read as "fresh" for the
    // size of the step plus maxLag.
    t.clock.advanceSeconds(-600);
    t.feedDown = true;
    await assert.rejects(v.sync());
    await assert.rejects(v.verify(tokenFor(ring, { jti: 'after-step' }, epochSeconds(t.clock) - 10)), isCode('unavailable'));
    assert.equal(v.status().healthy, false);
    // The next successful poll dates the view on the new clock.
    t.feedDown = false;
    await v.sync();
    assert.equal(v.status().healthy, true);
    assert.equal((await v.verify(tokenFor(ring, { jti: 'after-poll' }, epochSeconds(t.clock) - 10))).iss, 'https://auth.example');
  });

  it('a revocation already known is enforced even when the feed is stale', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const v = t.verifier();
    await v.start();
    t.revoke('session', 'session-1');
    await v.sync();
    t.clock.advanceSeconds(120);
    await assert.rejects(v.verify(tokenFor(ring, {}, epochSeconds(t.clock))), isCode('unauthorized'));
  });

  it('never synced: start rejects with unavailable and verify fails closed; it recovers on its own', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    t.feedDown = true;
    const v = t.verifier();
    await assert.rejects(v.start(), isCode('unavailable'));
    assert.equal(v.status().lastSyncAt, null);
    await assert.rejects(v.verify(tokenFor(ring)), isCode('unavailable'));
    t.feedDown = false;
    await v.sync();
    assert.equal((await v.verify(tokenFor(ring))).sub, 'user-1');
  });

  it('a wrong service key (401) or a malformed page never counts as a sync', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const wrong = t.verifier({ serviceKey: `${SERVICE_KEY}x` });
    const error = await wrong.start().then(() => null, (e: unknown) => e);
    assert.ok(isCode('unavailable')(error));
    assert.doesNotMatch(String((error as Error).cause), new RegExp(SERVICE_KEY), 'the key never appears in errors');
    await assert.rejects(wrong.verify(tokenFor(ring)), isCode('unavailable'));

    const v = t.verifier();
    await v.start();
    t.revoke('session', 'x');
    t.entries.push({ seq: 2, kind: 'bogus' as 'jti', subject: 'y', at: 1, expiresAt: 2 });
    t.clock.advanceSeconds(1);
    await assert.rejects(v.sync(), /malformed/);
    assert.equal(v.status().feedCursor, 0, 'the page was applied whole or not at all');
    assert.equal(v.status().lastSyncAt, t.clock.nowMs() - 1000);
  });

  it('a hung feed times out instead of hanging the verifier', async () => {
    const { ring } = await makeKey();
    t.jwks = ring.jwks(t.clock.nowMs());
    const hang: typeof t.fetch = (input, init) => (String(input).includes(FEED_PATH) ? new Promise(() => {}) : t.fetch(input, init));
    const hung = t.verifier({ timeoutMs: 50, fetch: hang });
    await assert.rejects(hung.start(), (e) => isCode('unavailable')(e) && /did not answer within 50 ms/.test(String((e as Error).cause)));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TesseraError } from '../../src/index.js';
import { MAX_REUSE_TRACE } from '../../src/auth/refresh.js';
import { CLIENT, makeTessera, PASSWORD, signedIn } from './fixture.js';

const isInvalidGrant = (e: unknown) => e instanceof TesseraError && e.code === 'invalid_grant' && e.status === 401;

describe('refresh tokens', () => {
  it('rotate on every use: a new opaque 256-bit token, and a new access token for the same sid', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt');
    const next = await f.auth.refresh(s.refreshToken);
    assert.notEqual(next.refreshToken, s.refreshToken);
    assert.equal(next.sessionId, s.sessionId);
    assert.equal(Buffer.from(next.refreshToken.split('.')[1]!, 'base64url').length, 32);
    assert.match(next.setCookies[0]!, /^__Secure-tessera_refresh=[^;]+; Max-Age=\d+; Path=\/auth\/refresh; HttpOnly; Secure; SameSite=Strict$/);
    const third = await f.auth.refresh(next.refreshToken);
    assert.notEqual(third.refreshToken, next.refreshToken);
  });

  it('gives the immediate predecessor, within the leeway, the same successor (parallel tabs)', async () => {
    const f = await makeTessera({ refreshReuseLeewaySeconds: 10 });
    const s = await signedIn(f, 'jwt');
    const first = await f.auth.refresh(s.refreshToken);
    f.clock.advanceSeconds(9);
    const again = await f.auth.refresh(s.refreshToken);
    assert.equal(again.refreshToken, first.refreshToken);
    assert.ok(f.events.some((e) => e.type === 'refresh' && e.outcome === 'replayed_in_leeway'));
    // The family is intact: the successor still rotates.
    assert.ok((await f.auth.refresh(first.refreshToken)).refreshToken);
  });

  it('treats the predecessor after the leeway as reuse: the whole family and its access tokens are revoked at once', async () => {
    const f = await makeTessera({ refreshReuseLeewaySeconds: 10 });
    const s = await signedIn(f, 'jwt');
    const first = await f.auth.refresh(s.refreshToken);
    f.clock.advanceSeconds(11);
    await assert.rejects(f.auth.refresh(s.refreshToken), isInvalidGrant);
    assert.ok(f.events.some((e) => e.type === 'refresh_reuse_detected' && e.sessionId === s.sessionId));
    await assert.rejects(f.auth.refresh(first.refreshToken), isInvalidGrant, 'the successor dies with the family');
    const r = await f.auth.authenticate({ authorization: `Bearer ${first.accessToken}` });
    assert.equal(r.status === 'anonymous' && r.reason, 'revoked');
  });

  it('treats the grandparent as reuse even inside the leeway', async () => {
    const f = await makeTessera({ refreshReuseLeewaySeconds: 10 });
    const s = await signedIn(f, 'jwt');
    const first = await f.auth.refresh(s.refreshToken);
    const second = await f.auth.refresh(first.refreshToken);
    await assert.rejects(f.auth.refresh(s.refreshToken), isInvalidGrant);
    await assert.rejects(f.auth.refresh(second.refreshToken), isInvalidGrant);
  });

  it('does not let a forged secret with a known sid revoke the family', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt');
    const first = await f.auth.refresh(s.refreshToken);
    const forged = `${s.sessionId}.${Buffer.alloc(32, 7).toString('base64url')}`;
    await assert.rejects(f.auth.refresh(forged), isInvalidGrant);
    assert.ok(!f.events.some((e) => e.type === 'refresh_reuse_detected'));
    assert.ok((await f.auth.refresh(first.refreshToken)).refreshToken, 'the family lives on');
  });

  it('yields exactly one successor for 50 concurrent uses of one token', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt');
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => f.auth.refresh(s.refreshToken)));
    const tokens = new Set(results.map((r) => (r.status === 'fulfilled' ? r.value.refreshToken : `rejected:${String(r.reason)}`)));
    assert.equal(tokens.size, 1, [...tokens].join('\n'));
    assert.ok(results.every((r) => r.status === 'fulfilled'));
  });

  it('expires with the idle timeout and the absolute family lifetime', async () => {
    const f = await makeTessera({ sessionIdleTimeoutSeconds: 1000, sessionAbsoluteTimeoutSeconds: 2500 });
    const s = await signedIn(f, 'jwt');
    f.clock.advanceSeconds(1001);
    await assert.rejects(f.auth.refresh(s.refreshToken), isInvalidGrant, 'idle');
    const t = await signedIn(f, 'jwt');
    let token = t.refreshToken;
    for (let i = 0; i < 2; i++) {
      f.clock.advanceSeconds(900);
      token = (await f.auth.refresh(token)).refreshToken;
    }
    f.clock.advanceSeconds(900);
    await assert.rejects(f.auth.refresh(token), isInvalidGrant, 'absolute lifetime');
  });

  it('an access token expires with its family at the latest, and ending the family refuses it at once', async () => {
    const f = await makeTessera({ sessionAbsoluteTimeoutSeconds: 2500, sessionIdleTimeoutSeconds: 2000 });
    const s = await signedIn(f, 'jwt');
    const familyEndsAt = Math.floor((f.clock.nowMs() + 2500 * 1000) / 1000);
    f.clock.advanceSeconds(1800);
    const late = await f.auth.refresh(s.refreshToken);
    const claims = JSON.parse(Buffer.from(late.accessToken.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
    // 700 s of family left: the token gets those, not the 900 s TTL, and says so.
    assert.equal(claims.exp, familyEndsAt);
    assert.equal(late.expiresIn, claims.exp - claims.iat);
    assert.ok(late.expiresIn < 900);
    const bearer = { authorization: `Bearer ${late.accessToken}` };
    // The family ends; within the clock tolerance the token is still good, until it is signed out.
    f.clock.advanceSeconds(702);
    assert.equal((await f.auth.authenticate(bearer)).status, 'authenticated', 'within the clock tolerance');
    assert.equal(await f.auth.endSession(s.user.id, s.sessionId, 'logout'), false, 'nothing active to end');
    const r = await f.auth.authenticate(bearer);
    assert.equal(r.status === 'anonymous' && r.reason, 'revoked', 'a sign-out names an expired record: its tokens are refused too');
  });

  it('a password change refuses every earlier access token of the user, even one whose record the store lost', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt', 'lost@example.com');
    const other = await f.auth.signIn({ email: 'lost@example.com', password: PASSWORD, mode: 'jwt' }, CLIENT);
    assert.equal(other.mode, 'jwt');
    if (other.mode !== 'jwt') return;
    f.clock.advanceSeconds(1);
    // The store finds nothing to end (a Redis that evicted the user's index of records).
    const endSessions = f.store.endSessions.bind(f.store);
    f.store.endSessions = async (request) => (request.all ? [] : endSessions(request));
    const changed = await f.auth.changePassword({ userId: s.user.id, mode: 'jwt', currentPassword: PASSWORD, newPassword: 'another fine passphrase' }, CLIENT);
    const r = await f.auth.authenticate({ authorization: `Bearer ${other.accessToken}` });
    assert.equal(r.status === 'anonymous' && r.reason, 'revoked');
    // The caller goes on with the token the change gave it, minted in the same second.
    assert.equal(changed.mode, 'jwt');
    if (changed.mode !== 'jwt') return;
    assert.equal((await f.auth.authenticate({ authorization: `Bearer ${changed.accessToken}` })).status, 'authenticated');
  });

  it('refuses a refresh whose record the revocation feed has ended, whatever the store says (a Redis restored from an older snapshot)', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt');
    const before = structuredClone((await f.store.getSessionAndUser(s.sessionId))!.session);
    await f.auth.signOutWithRefreshToken(s.refreshToken);
    // The store loses the sign-out: its record is back as it was.
    const getSessionAndUser = f.store.getSessionAndUser.bind(f.store);
    f.store.getSessionAndUser = async (id) => {
      const found = await getSessionAndUser(id);
      return found && id === s.sessionId ? { ...found, session: before } : found;
    };
    await assert.rejects(f.auth.refresh(s.refreshToken), isInvalidGrant);
  });

  it('refuses refresh after logout and after a password change', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt', 'r@example.com');
    await f.auth.signOutWithRefreshToken(s.refreshToken);
    await assert.rejects(f.auth.refresh(s.refreshToken), isInvalidGrant);
    const again = await f.auth.signIn({ email: 'r@example.com', password: PASSWORD, mode: 'jwt' }, CLIENT);
    assert.equal(again.mode, 'jwt');
    if (again.mode !== 'jwt') return;
    await f.auth.changePassword({ userId: s.user.id, mode: 'jwt', currentPassword: PASSWORD, newPassword: 'another fine passphrase' }, CLIENT);
    await assert.rejects(f.auth.refresh(again.refreshToken), isInvalidGrant);
  });

  it('refuses malformed and session-mode credentials as refresh tokens', async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'session');
    const cookieToken = s.headers.cookie!.split('=')[1]!;
    for (const bad of [cookieToken, '', 'x.y', 42, null, `${'a'.repeat(22)}.${'b'.repeat(43)}`]) {
      await assert.rejects(f.auth.refresh(bad), isInvalidGrant);
    }
  });
});

describe('revocation across instances', () => {
  it('a revocation made by one instance reaches another on its next catch-up, without a store read per request', async () => {
    const a = await makeTessera();
    const b = await makeTessera({}, { store: a.store, clock: a.clock });
    const s = await signedIn(a, 'jwt');
    const headers = { authorization: `Bearer ${s.result.mode === 'jwt' ? s.result.accessToken : ''}` };
    assert.equal((await b.auth.authenticate(headers)).status, 'authenticated', 'B verifies A\'s token (shared keys)');
    let reads = 0;
    const get = a.store.getSessionAndUser.bind(a.store);
    a.store.getSessionAndUser = async (id) => { reads++; return get(id); };
    await a.auth.endSession(s.user.id, s.sessionId, 'logout');
    assert.equal((await a.auth.authenticate(headers)).status, 'anonymous', 'A refuses at once');
    assert.equal((await b.auth.authenticate(headers)).status, 'authenticated', 'B has not caught up yet');
    await b.auth.refreshState();
    const r = await b.auth.authenticate(headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'revoked');
    assert.equal(reads, 0, 'JWT checks read no session from the store');
  });

  it('a retried sign-out of a record already ended, whose feed entry was lost, writes the entry again', async () => {
    const a = await makeTessera();
    const b = await makeTessera({}, { store: a.store, clock: a.clock });
    const s = await signedIn(a, 'jwt');
    // The store ended the record but the feed never got a live entry (e.g. Redis ran the
    // script after the client had given up): simulate with an entry that is already expired.
    await a.store.endSessions({ userId: s.user.id, sessionIds: [s.sessionId], reason: 'logout', at: a.clock.nowMs(), feedExpiresAt: a.clock.nowMs() });
    await b.auth.refreshState();
    assert.equal((await b.auth.authenticate(s.headers)).status, 'authenticated', 'B cannot know');
    // The client retries its sign-out: nothing is left to end, but the feed gets the entry.
    assert.equal(await a.auth.endSession(s.user.id, s.sessionId, 'logout'), false);
    await b.auth.refreshState();
    const r = await b.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'revoked');
  });

  it('durable: a new instance on the same store refuses tokens revoked before it started', async () => {
    const a = await makeTessera();
    const s = await signedIn(a, 'jwt');
    await a.auth.endAllSessions(s.user.id);
    const c = await makeTessera({}, { store: a.store, clock: a.clock });
    const r = await c.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'revoked');
  });

  it('drops revocation entries once no token they concern can be valid', async () => {
    const a = await makeTessera({ accessTokenTtlSeconds: 300, clockToleranceSeconds: 5 });
    const s = await signedIn(a, 'jwt');
    await a.auth.endSession(s.user.id, s.sessionId, 'logout');
    const c = await makeTessera({ accessTokenTtlSeconds: 300, clockToleranceSeconds: 5 }, { store: a.store, clock: a.clock });
    // Kept TTL + the tolerance (a token may come from an instance whose clock runs ahead) + the
    // largest tolerance a verifier may apply to its exp (30 s: another service's verifier).
    a.clock.advanceSeconds(334);
    assert.equal((await a.store.listRevocations(0, a.clock.nowMs(), 10)).length, 1);
    a.clock.advanceSeconds(2);
    assert.equal((await a.store.listRevocations(0, a.clock.nowMs(), 10)).length, 0);
    const r = await c.auth.authenticate(s.headers);
    assert.equal(r.status === 'anonymous' && r.reason, 'expired', 'the token itself has expired by then');
  });

  it(`traces reuse at most ${MAX_REUSE_TRACE} rotations back: older tokens are refused without the trace's cost, and without revoking`, async () => {
    const f = await makeTessera();
    const s = await signedIn(f, 'jwt');
    // Generation MAX_REUSE_TRACE + 1: the token of generation 0 is one step past the trace.
    const tokens = [s.refreshToken];
    for (let i = 0; i <= MAX_REUSE_TRACE; i++) tokens.push((await f.auth.refresh(tokens.at(-1)!)).refreshToken);
    const reuseEvents = () => f.events.filter((e) => e.type === 'refresh_reuse_detected').length;
    await assert.rejects(f.auth.refresh(tokens[0]!), isInvalidGrant);
    assert.equal(reuseEvents(), 0, 'a token past the trace is refused as unknown');
    assert.ok((await f.auth.refresh(tokens.at(-1)!)).refreshToken, 'so the family lives on');
    // The newest token is now spent too; the oldest one inside the trace is reuse.
    await assert.rejects(f.auth.refresh(tokens[2]!), isInvalidGrant);
    assert.equal(reuseEvents(), 1);
  });

});

/**
 * Attack suite, refresh tokens (RFC 9700 §4.14.2), black-box over HTTP with the server's
 * SQLite file read alongside:
 * - 50 concurrent uses of one token → exactly one successor (and one rotation in the store);
 * - the grandparent presented again, even inside the reuse leeway → the family is revoked,
 *   its access tokens with it;
 * - the absolute family lifetime holds however often the family is refreshed;
 * - after a password change, logout, logout-all or ending the device → invalid_grant;
 * - 1,000 families × 10 concurrent refreshes each → exactly one successor per family.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { assertRefusal, AttemptLog, body, GOOD_PASSWORD, openDatabase, REFRESH_COOKIE, signIn, signUpAndIn, startTestServer } from './helpers.js';
import type { TestServer } from './helpers.js';

/** Families and concurrent refreshes per family in the bulk test. */
const FAMILIES = Number(process.env.TESSERA_REFRESH_FAMILIES ?? 1000);
const CONCURRENT_PER_FAMILY = 10;

let s: TestServer;
const attempts = new AttemptLog();

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(async () => {
  const log = s.logText();
  await s.dispose();
  attempts.assertAbsent(log);
});

async function refresh(refreshToken: string): Promise<LightMyRequestResponse> {
  const res = await s.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } });
  assert.ok(res.statusCode < 500, res.body);
  if (res.statusCode === 200) {
    attempts.add('refresh', body(res).refreshToken);
    attempts.add('access', body(res).accessToken);
  }
  return res;
}

const me = (accessToken: string) => s.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${accessToken}` } });

async function family(email?: string) {
  const a = email === undefined ? await signUpAndIn(s, 'jwt') : await signIn(s, 'jwt', email);
  attempts.add('refresh', a.body.refreshToken);
  attempts.add('access', a.body.accessToken);
  return { email: a.email, accessToken: a.body.accessToken as string, refreshToken: a.body.refreshToken as string, sid: (a.body.refreshToken as string).split('.')[0]! };
}

function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** The stored record of a family: generation and whether the stored hash is that of `token`. */
function stored(sid: string): { generation: number; secretHash: string; revoked: boolean } {
  const db = openDatabase(s.dataDir);
  try {
    const row = db.prepare('SELECT generation, secret_hash, revoked_at FROM sessions WHERE id = ?').get(sid) as { generation: number; secret_hash: string; revoked_at: number | null } | undefined;
    assert.ok(row, `no record ${sid}`);
    return { generation: row.generation, secretHash: row.secret_hash, revoked: row.revoked_at !== null };
  } finally {
    db.close();
  }
}

describe('concurrency and reuse', () => {
  it('50 concurrent uses of one token: all answered with the same successor; the store rotated once', async () => {
    const f = await family();
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(f.refreshToken)));
    const statuses = results.map((r) => r.statusCode);
    assert.deepEqual([...new Set(statuses)], [200], `statuses: ${statuses.join(',')}`);
    const successors = new Set(results.map((r) => body(r).refreshToken as string));
    assert.equal(successors.size, 1, 'exactly one successor');
    const [successor] = [...successors] as [string];
    const record = stored(f.sid);
    assert.equal(record.generation, 1, 'one rotation');
    assert.equal(record.secretHash, sha256(successor.split('.')[1]!), 'the store holds the successor that was answered');
    assert.equal((await refresh(successor)).statusCode, 200, 'the family continues from it');
  });

  it('the grandparent presented again inside the leeway revokes the family and its access tokens', async () => {
    const f = await family();
    const t1 = body(await refresh(f.refreshToken));
    const t2 = body(await refresh(t1.refreshToken));
    s.clock!.advanceSeconds(1); // well inside the 10 s leeway
    assertRefusal(await refresh(f.refreshToken), 401, 'invalid_grant', 'the grandparent', true);
    assert.ok(stored(f.sid).revoked, 'the family is revoked in the store');
    assertRefusal(await refresh(t2.refreshToken), 401, 'invalid_grant', 'the current token after reuse', true);
    for (const [name, token] of [['first', f.accessToken], ['second', t1.accessToken], ['current', t2.accessToken]] as const) {
      assertRefusal(await me(token), 401, 'unauthorized', `${name} access token after reuse`, true);
    }
  });

  it('the parent inside the leeway gets the same successor; after the leeway it revokes the family', async () => {
    const f = await family();
    const t1 = body(await refresh(f.refreshToken));
    s.clock!.advanceSeconds(9);
    const again = await refresh(f.refreshToken);
    assert.equal(again.statusCode, 200);
    assert.equal(body(again).refreshToken, t1.refreshToken);
    s.clock!.advanceSeconds(2);
    assertRefusal(await refresh(f.refreshToken), 401, 'invalid_grant', 'the parent after the leeway', true);
    assertRefusal(await refresh(t1.refreshToken), 401, 'invalid_grant', 'the current token after reuse', true);
  });

  it('a refresh cookie replayed across the leeway is the same reuse as the body token', async () => {
    const f = await family();
    const cookie = `${REFRESH_COOKIE}=${f.refreshToken}`;
    const first = await s.app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie } });
    assert.equal(first.statusCode, 200);
    attempts.add('refresh', body(first).refreshToken);
    attempts.add('access', body(first).accessToken);
    s.clock!.advanceSeconds(11);
    assertRefusal(await s.app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie } }), 401, 'invalid_grant', 'replayed cookie', true);
    assertRefusal(await refresh(body(first).refreshToken), 401, 'invalid_grant', 'successor after the replay', true);
  });
});

describe('lifetime and endings', () => {
  it('absolute lifetime: refreshed every 12 hours, the family still ends 30 days after sign-in', async () => {
    const f = await family();
    let token = f.refreshToken;
    let elapsed = 0;
    while (elapsed + 43_200 < 2_592_000) {
      s.clock!.advanceSeconds(43_200);
      elapsed += 43_200;
      const res = await refresh(token);
      assert.equal(res.statusCode, 200, `after ${elapsed} s`);
      token = body(res).refreshToken;
    }
    s.clock!.advanceSeconds(2_592_000 - elapsed);
    assertRefusal(await refresh(token), 401, 'invalid_grant', 'at the absolute expiry', true);
  });

  it('idle lifetime: unused for 24 hours, the family ends', async () => {
    const f = await family();
    s.clock!.advanceSeconds(86_400);
    assertRefusal(await refresh(f.refreshToken), 401, 'invalid_grant', 'after 24 h idle', true);
  });

  it('after a password change, every family of the user is refused (the caller gets a new one)', async () => {
    const a = await family();
    const b = await family(a.email);
    const change = await s.app.inject({ method: 'POST', url: '/auth/password', headers: { authorization: `Bearer ${a.accessToken}` }, payload: { currentPassword: GOOD_PASSWORD, newPassword: 'refresh suite new password' } });
    assert.equal(change.statusCode, 200, change.body);
    attempts.add('refresh', body(change).refreshToken);
    attempts.add('access', body(change).accessToken);
    assertRefusal(await refresh(a.refreshToken), 401, 'invalid_grant', 'the caller\'s old family', true);
    assertRefusal(await refresh(b.refreshToken), 401, 'invalid_grant', 'another device\'s family', true);
    assert.equal((await refresh(body(change).refreshToken)).statusCode, 200, 'the new family works');
  });

  it('after logout (by bearer, by refresh token), logout-all and ending the device: invalid_grant', async () => {
    const user = await family();
    const byBearer = await family(user.email);
    const byToken = await family(user.email);
    const ended = await family(user.email);
    assert.equal((await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${byBearer.accessToken}` } })).statusCode, 204);
    assert.equal((await s.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: byToken.refreshToken } })).statusCode, 204);
    assert.equal((await s.app.inject({ method: 'DELETE', url: `/auth/sessions/${ended.sid}`, headers: { authorization: `Bearer ${user.accessToken}` } })).statusCode, 204);
    for (const [name, f] of [['logout by bearer', byBearer], ['logout by refresh token', byToken], ['ended device', ended]] as const) {
      assertRefusal(await refresh(f.refreshToken), 401, 'invalid_grant', name, true);
    }
    const rest = await family(user.email);
    assert.equal((await s.app.inject({ method: 'POST', url: '/auth/logout-all', headers: { authorization: `Bearer ${rest.accessToken}` } })).statusCode, 204);
    assertRefusal(await refresh(user.refreshToken), 401, 'invalid_grant', 'after logout-all', true);
    assertRefusal(await refresh(rest.refreshToken), 401, 'invalid_grant', 'the caller after logout-all', true);
  });
});

describe(`${FAMILIES} families × ${CONCURRENT_PER_FAMILY} concurrent refreshes`, () => {
  it('exactly one successor per family, and the store holds it', async (t) => {
    const started = performance.now();
    const a = await signUpAndIn(s, 'jwt');
    attempts.add('refresh', a.body.refreshToken);
    attempts.add('access', a.body.accessToken);
    // Families are sign-ins: a few concurrently, as browsers would (the sign-in throttle admits
    // at most 10 attempts of one account from one address at a time).
    const families: { sid: string; token: string }[] = [{ sid: (a.body.refreshToken as string).split('.')[0]!, token: a.body.refreshToken }];
    while (families.length < FAMILIES) {
      const batch = await Promise.all(Array.from({ length: Math.min(8, FAMILIES - families.length) }, () =>
        s.app.inject({ method: 'POST', url: '/auth/login', payload: { email: a.email, password: GOOD_PASSWORD, mode: 'jwt' } })));
      for (const res of batch) {
        assert.equal(res.statusCode, 200, res.body);
        const token = body(res).refreshToken as string;
        families.push({ sid: token.split('.')[0]!, token });
      }
    }
    const signedIn = performance.now();
    // Then every family is refreshed 10 times at once, 50 families at a time (500 requests in flight).
    const successorOf = new Map<string, string>();
    for (let i = 0; i < families.length; i += 50) {
      const slice = families.slice(i, i + 50);
      const answers = await Promise.all(slice.map(async (f) => {
        const results = await Promise.all(Array.from({ length: CONCURRENT_PER_FAMILY }, () =>
          s.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: f.token } })));
        return { f, results };
      }));
      for (const { f, results } of answers) {
        const ok = results.filter((r) => r.statusCode === 200).map((r) => body(r).refreshToken as string);
        assert.equal(ok.length, CONCURRENT_PER_FAMILY, `family ${f.sid}: ${results.map((r) => `${r.statusCode}`).join(',')}`);
        const distinct = new Set(ok);
        assert.equal(distinct.size, 1, `family ${f.sid}: ${distinct.size} successors`);
        successorOf.set(f.sid, [...distinct][0]!);
      }
    }
    const refreshed = performance.now();
    const db = openDatabase(s.dataDir);
    try {
      const select = db.prepare('SELECT generation, secret_hash, revoked_at FROM sessions WHERE id = ?');
      for (const [sid, successor] of successorOf) {
        const row = select.get(sid) as { generation: number; secret_hash: string; revoked_at: number | null };
        assert.equal(row.generation, 1, `family ${sid} rotated ${row.generation} times`);
        assert.equal(row.secret_hash, sha256(successor.split('.')[1]!), `family ${sid}: the store holds another successor`);
        assert.equal(row.revoked_at, null);
      }
    } finally {
      db.close();
    }
    // Tokens of this bulk are not searched in the log one by one (20,000 of them): a sample is.
    for (const [, successor] of [...successorOf].slice(0, 50)) attempts.add('bulk refresh', successor);
    const report = `${FAMILIES} families × ${CONCURRENT_PER_FAMILY} concurrent refreshes: ${successorOf.size} families, one successor each; sign-ins ${((signedIn - started) / 1000).toFixed(1)} s, refreshes ${((refreshed - signedIn) / 1000).toFixed(1)} s`;
    t.diagnostic(report);
    console.log(report);
    assert.equal(successorOf.size, FAMILIES);
  });
});

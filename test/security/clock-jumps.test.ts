/**
 * Fault suite, clock jumps (in process, the server on a ManualClock): the clock jumps forward
 * and back, as NTP steps, a VM resume or a wrong manual setting make it do.
 *
 * What must hold ("server-side expiry holds; bounded extension only", docs/reliability.md):
 * - a forward jump past the idle or absolute expiry ends the record: the cookie is refused,
 *   the refresh token is refused, access tokens past `exp` are `token_expired`;
 * - a record's absolute expiry is fixed when it is created and never moves; its idle expiry
 *   never passes the absolute one;
 * - a record used while the clock was J ahead keeps, once the clock is back, at most J more
 *   than the idle timeout: the extension is bounded by the jump, and by the absolute expiry;
 * - access tokens minted during the "future" are refused once the clock is back (`iat` in the
 *   future); the refresh token still works and mints a current one;
 * - a backward jump never resurrects a record: once refused as expired (or revoked), it stays
 *   refused when the clock goes back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { assertRefusal, AttemptLog, body, GOOD_PASSWORD, openDatabase, signIn, signUpAndIn, startTestServer } from './helpers.js';
import type { TestServer } from './helpers.js';

const HOUR = 3600;
const DAY = 86_400;
const IDLE = DAY;
const ABSOLUTE = 30 * DAY;

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

const clock = () => s.clock!;

async function sessionBrowser(email?: string) {
  const a = email === undefined ? await signUpAndIn(s, 'session') : await signIn(s, 'session', email);
  attempts.add('cookie', a.headers.cookie);
  return { ...a, sid: a.body.session.id as string };
}

async function jwtClient(email?: string) {
  const a = email === undefined ? await signUpAndIn(s, 'jwt') : await signIn(s, 'jwt', email);
  attempts.add('access', a.body.accessToken);
  attempts.add('refresh', a.body.refreshToken);
  return { ...a, refreshToken: a.body.refreshToken as string, accessToken: a.body.accessToken as string, sid: (a.body.refreshToken as string).split('.')[0]! };
}

const me = (headers: Record<string, string>) => s.app.inject({ method: 'GET', url: '/auth/me', headers });

async function refresh(token: string): Promise<LightMyRequestResponse> {
  const res = await s.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: token } });
  if (res.statusCode === 200) {
    attempts.add('access', body(res).accessToken);
    attempts.add('refresh', body(res).refreshToken);
  }
  return res;
}

/** The stored expiry times of a record (ms). */
function expiries(sid: string): { created: number; idle: number; absolute: number; revoked: boolean } | undefined {
  const db = openDatabase(s.dataDir);
  try {
    const row = db.prepare('SELECT created_at, idle_expires_at, absolute_expires_at, revoked_at FROM sessions WHERE id = ?').get(sid) as
      { created_at: number; idle_expires_at: number; absolute_expires_at: number; revoked_at: number | null } | undefined;
    return row && { created: row.created_at, idle: row.idle_expires_at, absolute: row.absolute_expires_at, revoked: row.revoked_at !== null };
  } finally {
    db.close();
  }
}

describe('forward jumps: server-side expiry holds', () => {
  it('past the idle expiry: the cookie and the refresh token are refused; the access token is token_expired', async () => {
    const b = await sessionBrowser();
    const j = await jwtClient(b.email);
    clock().advanceSeconds(IDLE + 1);
    assertRefusal(await me(b.headers), 401, 'unauthorized', 'cookie after the idle timeout', true);
    assertRefusal(await refresh(j.refreshToken), 401, 'invalid_grant', 'refresh after the idle timeout', true);
    assertRefusal(await me(j.headers), 401, 'token_expired', 'access token a day later', true);
  });

  it('past the absolute expiry of a record in constant use: refused', async () => {
    const b = await sessionBrowser();
    for (let t = 0; t < ABSOLUTE - 12 * HOUR; t += 12 * HOUR) {
      clock().advanceSeconds(12 * HOUR);
      assert.equal((await me(b.headers)).statusCode, 200);
    }
    clock().advanceSeconds(12 * HOUR);
    assertRefusal(await me(b.headers), 401, 'unauthorized', 'after 30 days of use', true);
  });
});

describe('backward jumps: bounded extension only', () => {
  it('a record used while the clock was 6 h ahead keeps at most idle + 6 h once it is back; the absolute expiry never moves', async () => {
    const b = await sessionBrowser();
    const created = expiries(b.sid)!;
    assert.equal(created.absolute - created.created, ABSOLUTE * 1000);
    const J = 6 * HOUR;
    clock().advanceSeconds(J);
    assert.equal((await me(b.headers)).statusCode, 200, 'used in the future');
    clock().advanceSeconds(-J);
    const after = expiries(b.sid)!;
    const now = clock().nowMs();
    assert.ok(after.idle - now <= (IDLE + J) * 1000, `extension ${(after.idle - now) / 1000 - IDLE} s beyond the idle timeout, more than the jump`);
    assert.ok(after.idle <= after.absolute);
    assert.equal(after.absolute, created.absolute, 'the absolute expiry is fixed at creation');
    // It ends at the extended idle expiry (not later): IDLE + J after the future use.
    clock().advanceSeconds(IDLE + J - 1);
    assert.equal((await me(b.headers)).statusCode, 200, 'still inside the (extended) idle window');
    clock().advanceSeconds(IDLE + J);
    assertRefusal(await me(b.headers), 401, 'unauthorized', 'past the extended idle window', true);
  });

  it('near its absolute end, a jump forward cannot carry a record past its absolute expiry', async () => {
    const b = await sessionBrowser();
    const { absolute } = expiries(b.sid)!;
    for (let t = 0; t < ABSOLUTE - DAY; t += 20 * HOUR) {
      clock().advanceSeconds(20 * HOUR);
      assert.equal((await me(b.headers)).statusCode, 200);
    }
    clock().setMs(absolute - HOUR * 1000);
    clock().advanceSeconds(2 * DAY);
    assertRefusal(await me(b.headers), 401, 'unauthorized', 'two days past the absolute end', true);
    clock().setMs(absolute - HOUR * 1000);
    const row = expiries(b.sid);
    assert.ok(row === undefined || row.idle <= row.absolute, 'idle expiry never beyond the absolute one');
  });

  it('repeated jumps do not accumulate: the extension is bounded by the largest jump, not their sum', async () => {
    const b = await sessionBrowser();
    let largest = 0;
    for (const J of [2 * HOUR, 5 * HOUR, 3 * HOUR, 8 * HOUR, 1 * HOUR]) {
      largest = Math.max(largest, J);
      clock().advanceSeconds(J);
      assert.equal((await me(b.headers)).statusCode, 200);
      clock().advanceSeconds(-J);
      const { idle } = expiries(b.sid)!;
      assert.ok(idle - clock().nowMs() <= (IDLE + largest) * 1000, `after a ${J / HOUR} h jump: ${(idle - clock().nowMs()) / 1000} s left`);
    }
  });

  it('access tokens minted in the "future" are refused once the clock is back; the refresh token mints a current one', async () => {
    const j = await jwtClient();
    clock().advanceSeconds(2 * HOUR);
    const future = body(await refresh(j.refreshToken));
    assert.equal((await me({ authorization: `Bearer ${future.accessToken}` })).statusCode, 200);
    clock().advanceSeconds(-2 * HOUR);
    assertRefusal(await me({ authorization: `Bearer ${future.accessToken}` }), 401, 'unauthorized', 'an access token issued 2 h "later"', true);
    const current = await refresh(future.refreshToken);
    assert.equal(current.statusCode, 200, current.body);
    assert.equal((await me({ authorization: `Bearer ${body(current).accessToken}` })).statusCode, 200);
  });

  it('a record created in the "future" lives at most the absolute timeout plus the jump', async () => {
    const J = 3 * DAY;
    clock().advanceSeconds(J);
    const b = await sessionBrowser();
    clock().advanceSeconds(-J);
    const { created, absolute } = expiries(b.sid)!;
    assert.equal(absolute - created, ABSOLUTE * 1000);
    assert.ok(absolute - clock().nowMs() <= (ABSOLUTE + J) * 1000);
  });
});

describe('backward jumps never resurrect a record', () => {
  it('a session refused as expired stays refused when the clock goes back', async () => {
    const b = await sessionBrowser();
    const t0 = clock().nowMs();
    clock().advanceSeconds(IDLE + HOUR);
    assertRefusal(await me(b.headers), 401, 'unauthorized', 'expired by a forward jump', true);
    clock().setMs(t0 + HOUR * 1000);
    assertRefusal(await me(b.headers), 401, 'unauthorized', 'the same session after the clock went back (resurrected: see docs/reliability.md, defect 3)', true);
  });

  it('a refresh family refused as expired stays refused when the clock goes back', async () => {
    const j = await jwtClient();
    const t0 = clock().nowMs();
    clock().advanceSeconds(IDLE + HOUR);
    assertRefusal(await refresh(j.refreshToken), 401, 'invalid_grant', 'expired by a forward jump', true);
    clock().setMs(t0 + HOUR * 1000);
    assertRefusal(await refresh(j.refreshToken), 401, 'invalid_grant', 'the same family after the clock went back (resurrected: see docs/reliability.md, defect 3)', true);
  });

  it('signed-out records stay refused whatever the clock does', async () => {
    const b = await sessionBrowser();
    const j = await jwtClient(b.email);
    const t0 = clock().nowMs();
    assert.equal((await s.app.inject({ method: 'POST', url: '/auth/logout', headers: b.headers })).statusCode, 204);
    assert.equal((await s.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: j.refreshToken } })).statusCode, 204);
    for (const offset of [-DAY, -HOUR, 0, HOUR, 40 * DAY, -40 * DAY]) {
      clock().setMs(t0 + offset * 1000);
      assertRefusal(await me(b.headers), 401, 'unauthorized', `cookie at ${offset} s`, true);
      assertRefusal(await refresh(j.refreshToken), 401, 'invalid_grant', `refresh at ${offset} s`, true);
    }
    clock().setMs(t0);
    const ok = await s.app.inject({ method: 'POST', url: '/auth/login', payload: { email: b.email, password: GOOD_PASSWORD } });
    assert.equal(ok.statusCode, 200);
    attempts.add('cookie', ok.cookies[0]?.value);
  });
});

describe('a backward step before the signing key\'s activation', () => {
  it('JWT sign-in and refresh keep working and the JWKS keeps the key (the key was created by this deployment)', async () => {
    // A fresh server: its first key activates at start. The clock then steps back an hour
    // (a host that started with its clock ahead, then corrected by NTP).
    const fresh = await startTestServer({ manualClock: true });
    const seen = new AttemptLog();
    try {
      const a = await signUpAndIn(fresh, 'jwt');
      seen.add('access', a.body.accessToken);
      seen.add('refresh', a.body.refreshToken);
      fresh.clock!.advanceSeconds(-HOUR);
      const jwks = body(await fresh.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }));
      const login = await fresh.app.inject({ method: 'POST', url: '/auth/login', payload: { email: a.email, password: GOOD_PASSWORD, mode: 'jwt' } });
      const rotated = await fresh.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: a.body.refreshToken } });
      for (const res of [login, rotated]) {
        if (res.statusCode === 200) {
          seen.add('access', body(res).accessToken);
          seen.add('refresh', body(res).refreshToken);
        }
      }
      const problems = [
        ...(jwks.keys.length === 0 ? ['the JWKS is empty'] : []),
        ...(login.statusCode !== 200 ? [`JWT sign-in answers ${login.statusCode}`] : []),
        ...(rotated.statusCode !== 200 ? [`refresh answers ${rotated.statusCode}`] : []),
      ];
      assert.deepEqual(problems, [], 'no key can sign before its activation time, so JWT issuance stops until the clock catches up or the server restarts (docs/reliability.md, defect 4)');
    } finally {
      const log = fresh.logText();
      await fresh.dispose();
      seen.assertAbsent(log.replace(/^.*"level":50.*"auth route failed".*$/gm, ''));
    }
  });
});


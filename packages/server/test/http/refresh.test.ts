// POST /auth/refresh: rotation, the reuse leeway (same successor), reuse detection that
// revokes the family (and its access tokens), forgeries that must not, concurrency, the
// refresh cookie, and the idle and absolute limits of a family.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import {
  assertError, disposeAndCheckLog, httpClient, REFRESH_COOKIE, SESSION_COOKIE, signInDevice,
} from '../helpers/http-assertions.js';
import { body, cookiesOf, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD]);
const { call } = httpClient(() => s);

function assertInvalidGrant(res: LightMyRequestResponse): void {
  assertError(res, 401, 'invalid_grant');
  assert.equal(res.headers['www-authenticate'], 'Bearer realm="tessera", error="invalid_token"');
}

async function newFamily() {
  const a = await signInDevice(s, secrets, 'jwt');
  return { ...a, accessToken: a.body.accessToken as string, refreshToken: a.body.refreshToken as string };
}

async function refresh(refreshToken: string): Promise<LightMyRequestResponse> {
  const res = await call({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } });
  if (res.statusCode === 200) {
    secrets.add(body(res).accessToken);
    secrets.add(body(res).refreshToken);
  }
  return res;
}

const me = (accessToken: string) => call({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${accessToken}` } });

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(() => disposeAndCheckLog(s, secrets));

describe('rotation', () => {
  it('answers {accessToken, tokenType, expiresIn, refreshToken} with a new refresh token, cookie and no-store', async () => {
    const f = await newFamily();
    s.clock!.advanceSeconds(1);
    const res = await refresh(f.refreshToken);
    assert.equal(res.statusCode, 200, res.body);
    const b = body(res);
    assert.deepEqual(Object.keys(b).sort(), ['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
    assert.equal(b.tokenType, 'Bearer');
    assert.equal(b.expiresIn, 900);
    assert.notEqual(b.refreshToken, f.refreshToken);
    assert.notEqual(b.accessToken, f.accessToken);
    assert.equal(b.refreshToken.split('.')[0], f.refreshToken.split('.')[0], 'same family (session record)');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(cookiesOf(res)[REFRESH_COOKIE], b.refreshToken);
    const who = await me(b.accessToken);
    assert.equal(who.statusCode, 200);
    assert.equal(body(who).user.id, f.userId);
    // The successor rotates in turn.
    s.clock!.advanceSeconds(1);
    const next = await refresh(b.refreshToken);
    assert.equal(next.statusCode, 200, next.body);
    assert.notEqual(body(next).refreshToken, b.refreshToken);
  });

  it('refresh tokens are hashed at rest: the secret is nowhere in the database', async () => {
    const f = await newFamily();
    const res = await refresh(f.refreshToken);
    const token = body(res).refreshToken as string;
    const [id, secret] = token.split('.') as [string, string];
    const file = join(s.dataDir, 'tessera.db');
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT secret_hash FROM sessions WHERE id = ?').get(id) as { secret_hash: string };
      assert.equal(row.secret_hash, createHash('sha256').update(secret).digest('base64url'));
      const dump = JSON.stringify(db.prepare('SELECT * FROM sessions').all());
      assert.ok(!dump.includes(secret));
      assert.ok(!dump.includes(f.refreshToken.split('.')[1]!));
    } finally {
      db.close();
    }
    for (const path of [file, `${file}-wal`]) {
      if (existsSync(path)) assert.ok(!readFileSync(path).includes(Buffer.from(secret)), `${path} holds a refresh secret`);
    }
    assert.ok(Buffer.from(secret, 'base64url').length >= 32, 'at least 256 bits');
  });

  it('works from the refresh cookie alone with an empty JSON body', async () => {
    const f = await newFamily();
    const res = await call({ method: 'POST', url: '/auth/refresh', headers: { cookie: `${REFRESH_COOKIE}=${f.refreshToken}` }, payload: {} });
    assert.equal(res.statusCode, 200, res.body);
    secrets.add(body(res).accessToken);
    secrets.add(body(res).refreshToken);
    assert.notEqual(body(res).refreshToken, f.refreshToken);
    assert.equal(cookiesOf(res)[REFRESH_COOKIE], body(res).refreshToken);
    assert.equal((await me(body(res).accessToken)).statusCode, 200);
  });

  it('duplicate refresh cookies are refused (401 invalid_grant) and rotate nothing', async () => {
    const f = await newFamily();
    const other = await newFamily();
    for (const cookie of [
      `${REFRESH_COOKIE}=${f.refreshToken}; ${REFRESH_COOKIE}=${f.refreshToken}`,
      `${REFRESH_COOKIE}=${other.refreshToken}; ${REFRESH_COOKIE}=${f.refreshToken}`,
    ]) {
      assertInvalidGrant(await call({ method: 'POST', url: '/auth/refresh', headers: { cookie }, payload: {} }));
    }
    s.clock!.advanceSeconds(11);
    assert.equal((await refresh(f.refreshToken)).statusCode, 200, 'the token was not rotated (no reuse detected)');
    assert.equal((await refresh(other.refreshToken)).statusCode, 200);
  });

  it('without a token or cookie: 401 invalid_grant, whose challenge names no invalid token (none was sent)', async () => {
    for (const res of [await call({ method: 'POST', url: '/auth/refresh', payload: {} }), await call({ method: 'POST', url: '/auth/refresh' })]) {
      assertError(res, 401, 'invalid_grant');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="tessera"');
    }
  });

  it('refuses garbage, a session-mode token and an access token as refresh tokens', async () => {
    const f = await newFamily();
    const cookie = (await signInDevice(s, secrets, 'session')).cookies[SESSION_COOKIE]!;
    for (const t of ['x', `${f.refreshToken}x`, cookie, f.accessToken.slice(0, 500), 'é'.repeat(100)]) {
      assertInvalidGrant(await refresh(t));
    }
    assert.equal((await refresh(f.refreshToken)).statusCode, 200, 'the family is untouched');
  });
});

describe('the reuse leeway and reuse detection', () => {
  it('within the leeway the old token gets the SAME successor', async () => {
    const f = await newFamily();
    const first = await refresh(f.refreshToken);
    assert.equal(first.statusCode, 200);
    s.clock!.advanceSeconds(9);
    const again = await refresh(f.refreshToken);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(body(again).refreshToken, body(first).refreshToken);
    assert.equal((await me(body(again).accessToken)).statusCode, 200);
    assert.equal((await me(f.accessToken)).statusCode, 200, 'no revocation within the leeway');
  });

  it('after the leeway the old token is refused AND the family is revoked, with its access tokens', async () => {
    const f = await newFamily();
    const first = await refresh(f.refreshToken);
    assert.equal(first.statusCode, 200);
    const successor = body(first);
    s.clock!.advanceSeconds(11);
    assertInvalidGrant(await refresh(f.refreshToken));
    assertInvalidGrant(await refresh(successor.refreshToken));
    for (const token of [f.accessToken, successor.accessToken]) {
      const res = await me(token);
      assertError(res, 401, 'unauthorized');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="tessera", error="invalid_token"');
    }
  });

  it('a token older than the immediate predecessor revokes the family even within the leeway', async () => {
    const f = await newFamily();
    const t1 = body(await refresh(f.refreshToken));
    const t2 = body(await refresh(t1.refreshToken));
    assertInvalidGrant(await refresh(f.refreshToken));
    assertInvalidGrant(await refresh(t2.refreshToken));
    assert.equal((await me(t2.accessToken)).statusCode, 401);
  });

  it('a forged secret with a valid sid is refused and does NOT revoke the family', async () => {
    const f = await newFamily();
    const sid = f.refreshToken.split('.')[0]!;
    s.clock!.advanceSeconds(30);
    assertInvalidGrant(await refresh(`${sid}.${randomBytes(32).toString('base64url')}`));
    assertInvalidGrant(await call({ method: 'POST', url: '/auth/logout', payload: { refreshToken: `${sid}.${randomBytes(32).toString('base64url')}` } }));
    assert.equal((await me(f.accessToken)).statusCode, 200);
    const res = await refresh(f.refreshToken);
    assert.equal(res.statusCode, 200, res.body);
  });

  it('50 concurrent refreshes of one token: all 200 with exactly one distinct successor', async () => {
    const f = await newFamily();
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(f.refreshToken)));
    for (const r of results) assert.equal(r.statusCode, 200, r.body);
    const successors = new Set(results.map((r) => body(r).refreshToken as string));
    assert.equal(successors.size, 1);
    const [successor] = [...successors] as [string];
    assert.notEqual(successor, f.refreshToken);
    // The family is intact and moves on from that one successor.
    const next = await refresh(successor);
    assert.equal(next.statusCode, 200, next.body);
    assert.equal((await me(body(next).accessToken)).statusCode, 200);
  });
});

describe('family lifetime', () => {
  it('idle timeout: a refresh token unused for 24 h is refused', async () => {
    const f = await newFamily();
    const g = await newFamily();
    s.clock!.advanceSeconds(86_399);
    assert.equal((await refresh(g.refreshToken)).statusCode, 200);
    s.clock!.advanceSeconds(2);
    assertInvalidGrant(await refresh(f.refreshToken));
  });

  it('absolute timeout: refreshed every 12 h, the family still ends after 30 days', async () => {
    const f = await newFamily();
    let token = f.refreshToken;
    let elapsed = 0;
    while (elapsed + 43_200 < 2_592_000) {
      s.clock!.advanceSeconds(43_200);
      elapsed += 43_200;
      const res = await refresh(token);
      assert.equal(res.statusCode, 200, `after ${elapsed} s: ${res.body}`);
      token = body(res).refreshToken;
    }
    s.clock!.advanceSeconds(2_592_000 - elapsed);
    assertInvalidGrant(await refresh(token));
  });
});

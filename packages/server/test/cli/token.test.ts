import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { openSqliteDatabase } from 'tessera/sqlite';
import { createUser, json, makeDataDir, openLibrary, PASSWORD, runCli } from './run-cli.js';

// tessera token decode|verify with an access token signed by the library in this process on
// the CLI's SQLite file (the same issuer default as the CLI's configuration).

const data = makeDataDir();
let token: string;
let session: { token: string; id: string };
let userId: string;

before(async () => {
  userId = await createUser(data.dir, 'tove@example.com');
  const lib = await openLibrary(data.dir);
  try {
    const jwt = await lib.auth.signIn({ email: 'tove@example.com', password: PASSWORD, mode: 'jwt' }, { ip: '127.0.0.1' });
    const cookie = await lib.auth.signIn({ email: 'tove@example.com', password: PASSWORD, mode: 'session' }, { ip: '127.0.0.1' });
    token = jwt.mode === 'jwt' ? jwt.accessToken : '';
    session = cookie.mode === 'session' ? { token: cookie.sessionToken, id: cookie.session.id } : { token: '', id: '' };
  } finally {
    await lib.close();
  }
});
after(() => data.remove());

/** The token with one character of its signature changed. */
function tampered(t: string): string {
  const last = t.at(-2) === 'A' ? 'B' : 'A';
  return `${t.slice(0, -2)}${last}${t.at(-1)}`;
}

describe('tessera token decode', () => {
  it('shows header and claims with readable times, labelled not verified', async () => {
    const human = await runCli(data.dir, ['token', 'decode', token]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^NOT VERIFIED/);
    assert.match(human.stdout, /typ\s+at\+jwt/);
    assert.match(human.stdout, new RegExp(`sub\\s+${userId}`));
    assert.match(human.stdout, /exp\s+\d+ \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, in 1[45]m\)/);
    const decoded = json(await runCli(data.dir, ['token', 'decode', token, '--json']));
    assert.equal(decoded.verified, false);
    assert.deepEqual(Object.keys(decoded.header).sort(), ['alg', 'kid', 'typ']);
    assert.equal(decoded.claims.sub, userId);
    assert.equal(decoded.times.exp, new Date(decoded.claims.exp * 1000).toISOString());
  });

  it('decodes a tampered token too (nothing is checked) and reads "-" from stdin', async () => {
    assert.equal((await runCli(data.dir, ['token', 'decode', tampered(token)])).code, 0);
    const fromStdin = json(await runCli(data.dir, ['token', 'decode', '-', '--json'], { input: `${token}\n` }));
    assert.equal(fromStdin.claims.sub, userId);
  });

  it('refuses what is not a JWT (exit 2), naming opaque session tokens', async () => {
    const [opaque, junk] = await Promise.all([
      runCli(data.dir, ['token', 'decode', session.token]),
      runCli(data.dir, ['token', 'decode', 'a.b.c']),
    ]);
    assert.equal(opaque.code, 2);
    assert.match(opaque.stderr, /opaque session or refresh token/);
    assert.ok(!opaque.stderr.includes(session.token), 'the token is not echoed');
    assert.equal(junk.code, 2);
  });
});

describe('tessera token verify', () => {
  it('exits 0 for a valid token, with its user, session and key', async () => {
    const r = await runCli(data.dir, ['token', 'verify', token, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const v = json(r);
    assert.equal(v.valid, true);
    assert.equal(v.userId, userId);
    assert.equal(typeof v.sessionId, 'string');
    assert.equal(typeof v.kid, 'string');
    assert.ok(Date.parse(v.expiresAt) > Date.now());
    const human = await runCli(data.dir, ['token', 'verify', '-'], { input: token });
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^VALID: access token of user/);
    assert.ok(!human.stdout.includes(token), 'the token is not printed back');
  });

  it('exits 4 for a tampered token, with the reason', async () => {
    const r = await runCli(data.dir, ['token', 'verify', tampered(token), '--json']);
    assert.equal(r.code, 4);
    assert.deepEqual([json(r).valid, json(r).reason], [false, 'invalid']);
  });

  it('exits 4 when the issuer is not the configured one, and says so', async () => {
    const r = await runCli(data.dir, ['token', 'verify', token], { env: { TESSERA_ISSUER: 'https://auth.example.com' } });
    assert.equal(r.code, 4);
    assert.match(r.stdout, /REFUSED \(invalid\): issuer "http:\/\/127\.0\.0\.1:3000" is not the configured "https:\/\/auth\.example\.com"/);
  });

  it('exits 4 for a token of a key the store does not hold, and for a session token', async () => {
    const other = makeDataDir();
    try {
      await createUser(other.dir, 'x@example.com');
      const r = json(await runCli(other.dir, ['token', 'verify', token, '--json']));
      assert.equal(r.valid, false);
      assert.ok(r.hints.some((h: string) => /does not hold/.test(h)), r.hints.join('; '));
    } finally {
      other.remove();
    }
    assert.equal((await runCli(data.dir, ['token', 'verify', session.token])).code, 4);
  });

  it('creates no signing key, whatever TESSERA_JWT_ALG says; with every key retired it refuses rather than create one', async () => {
    const keysNow = async () => json(await runCli(data.dir, ['keys', 'list', '--json'])).keys.map((k: { kid: string; alg: string }) => `${k.alg}:${k.kid}`);
    const before = await keysNow();
    assert.ok(before.length > 0 && before.every((k: string) => k.startsWith('EdDSA:')), before.join(', '));
    const other = await runCli(data.dir, ['token', 'verify', token, '--json'], { env: { TESSERA_JWT_ALG: 'ES256' } });
    assert.equal(other.code, 0, other.stdout + other.stderr);
    assert.deepEqual(await keysNow(), before, 'token verify wrote a signing key');

    const retired = makeDataDir();
    try {
      await createUser(retired.dir, 'retired@example.com');
      const db = openSqliteDatabase(join(retired.dir, 'tessera.db'));
      try {
        db.prepare('UPDATE signing_keys SET retires_at = ?, expires_at = ?').run(Date.now() - 1000, Date.now() + 900_000);
      } finally {
        db.close();
      }
      const r = await runCli(retired.dir, ['token', 'verify', token, '--json']);
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.match(json(r).hints.join(' '), /no key of this store can sign now/);
      assert.equal(json(await runCli(retired.dir, ['keys', 'list', '--json'])).keys.length, 1, 'no key was created');
    } finally {
      retired.remove();
    }
  });

  it('exits 4 with "revoked" once the session ended', async () => {
    const decoded = json(await runCli(data.dir, ['token', 'decode', token, '--json']));
    assert.equal((await runCli(data.dir, ['sessions', 'revoke', decoded.claims.sid, '--user', userId])).code, 0);
    const r = json(await runCli(data.dir, ['token', 'verify', token, '--json']));
    assert.deepEqual([r.valid, r.reason], [false, 'revoked']);
  });
});

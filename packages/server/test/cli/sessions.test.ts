import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Tessera } from 'tessera';
import { createUser, json, makeDataDir, openLibrary, PASSWORD, runCli } from './run-cli.js';

// tessera sessions list|revoke, with sessions started through the library in this process on
// the CLI's SQLite file; whether a credential still works is asked of `tessera token verify`
// (access tokens) and of the library's authenticate (cookies).

const data = makeDataDir();
/** Set by `before`; undefined only if it failed. */
let lib: { auth: Tessera; close(): Promise<void> };
let userId: string;
const client = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0' };

before(async () => {
  userId = await createUser(data.dir, 'lin@example.com');
  lib = await openLibrary(data.dir);
});
after(async () => {
  try {
    await (lib as typeof lib | undefined)?.close();
  } finally {
    data.remove();
  }
});

interface ListedSession {
  id: string;
  mode: string;
  device: string;
  ip: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

async function signIn(mode: 'session' | 'jwt'): Promise<{ sessionId: string; credential: string }> {
  const r = await lib.auth.signIn({ email: 'lin@example.com', password: PASSWORD, mode }, client);
  return r.mode === 'jwt' ? { sessionId: r.sessionId, credential: r.accessToken } : { sessionId: r.session.id, credential: r.sessionToken };
}

describe('tessera sessions', () => {
  it('list shows the sessions of both modes with device, ip and times', async () => {
    const cookie = await signIn('session');
    const jwt = await signIn('jwt');
    const listed = json(await runCli(data.dir, ['sessions', 'list', 'lin@example.com', '--json']));
    assert.deepEqual(listed.user, { id: userId, email: 'lin@example.com' });
    const byId = new Map<string, ListedSession>(listed.sessions.map((s: ListedSession) => [s.id, s]));
    const s = byId.get(cookie.sessionId)!;
    const j = byId.get(jwt.sessionId)!;
    assert.equal(s.mode, 'session');
    assert.equal(j.mode, 'jwt');
    assert.deepEqual(Object.keys(s).sort(), ['createdAt', 'device', 'expiresAt', 'id', 'ip', 'lastSeenAt', 'mode']);
    assert.equal(s.ip, client.ip);
    assert.match(s.device, /Firefox/);
    const human = await runCli(data.dir, ['sessions', 'list', userId]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /ID\s+MODE\s+DEVICE\s+IP\s+CREATED\s+LAST SEEN\s+EXPIRES/);
    assert.ok(human.stdout.includes(cookie.sessionId) && human.stdout.includes(jwt.sessionId));
    assert.ok(!human.stdout.includes(cookie.credential.split('.')[1]!), 'no secret of a session token');
  });

  it('revoke <id> ends one session: its access token is refused, the others work', async () => {
    const a = await signIn('jwt');
    const b = await signIn('jwt');
    const r = json(await runCli(data.dir, ['sessions', 'revoke', a.sessionId, '--user', 'lin@example.com', '--json']));
    assert.deepEqual(r, { userId, sessionId: a.sessionId, revoked: 1 });
    const refused = await runCli(data.dir, ['token', 'verify', a.credential]);
    assert.equal(refused.code, 4);
    assert.match(refused.stdout, /REFUSED \(revoked\)/);
    assert.equal((await runCli(data.dir, ['token', 'verify', b.credential])).code, 0);
    // Ending it again: the user has no such active session.
    const again = await runCli(data.dir, ['sessions', 'revoke', a.sessionId, '--user', userId]);
    assert.equal(again.code, 3);
    assert.match(again.stderr, /no active session/);
  });

  it('revoke --all ends every session of the user, cookies included', async () => {
    const cookie = await signIn('session');
    const jwt = await signIn('jwt');
    const r = json(await runCli(data.dir, ['sessions', 'revoke', '--all', '--user', userId, '--json']));
    assert.equal(r.userId, userId);
    assert.ok(r.revoked >= 2);
    assert.equal((await runCli(data.dir, ['token', 'verify', jwt.credential])).code, 4);
    await lib.auth.refreshState();
    const auth = await lib.auth.authenticate({ cookie: `${lib.auth.cookieNames.session}=${cookie.credential}` });
    assert.equal(auth.status, 'anonymous');
    const listed = json(await runCli(data.dir, ['sessions', 'list', userId, '--json']));
    assert.deepEqual(listed.sessions, []);
  });

  it('usage errors exit 2, an unknown user 3', async () => {
    const [noUser, both, neither, unknown] = await Promise.all([
      runCli(data.dir, ['sessions', 'revoke', 'some-id']),
      runCli(data.dir, ['sessions', 'revoke', 'some-id', '--all', '--user', userId]),
      runCli(data.dir, ['sessions', 'revoke', '--user', userId]),
      runCli(data.dir, ['sessions', 'list', 'nobody@example.com']),
    ]);
    assert.equal(noUser.code, 2);
    assert.match(noUser.stderr, /--user/);
    assert.equal(both.code, 2);
    assert.equal(neither.code, 2);
    assert.equal(unknown.code, 3);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser, json, makeDataDir, openLibrary, PASSWORD, runCli } from './run-cli.js';

// tessera user create|list|disable|enable|delete, and migrate (which every store command
// also does on open) against a fresh SQLite directory.

const data = makeDataDir();
after(() => data.remove());

interface ShownUser {
  id: string;
  email: string;
  createdAt: string;
  disabledAt: string | null;
}

describe('tessera migrate', () => {
  it('creates the schema on a fresh directory, then has nothing to do', async () => {
    const first = json(await runCli(data.dir, ['migrate', '--json']));
    assert.equal(first.database, 'sqlite');
    assert.equal(first.previousVersion, 0);
    assert.ok(first.schemaVersion >= 1);
    assert.equal(first.applied, first.schemaVersion);
    const again = await runCli(data.dir, ['migrate']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`schema version ${first.schemaVersion}, already up to date`));
  });
});

describe('tessera user', () => {
  let adaId: string;
  before(async () => {
    adaId = await createUser(data.dir, 'Ada@Example.com');
  });

  it('create prints the user (never a hash) and list shows it', async () => {
    const created = await runCli(data.dir, ['user', 'create', '--email', 'grace@example.com', '--password-stdin'], { input: `${PASSWORD}\r\n` });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /grace@example\.com/);
    assert.doesNotMatch(created.stdout, /argon2|correct horse/);
    const list = json<{ users: ShownUser[]; next: string | null }>(await runCli(data.dir, ['user', 'list', '--json']));
    assert.deepEqual(list.users.map((u) => u.email).sort(), ['Ada@Example.com', 'grace@example.com']);
    assert.equal(list.next, null);
    for (const u of list.users) {
      for (const key of ['id', 'email', 'createdAt', 'disabledAt']) assert.ok(key in u, `${key} in ${JSON.stringify(u)}`);
      assert.ok(!('passwordHash' in u));
    }
    // The password from stdin is the account's: the library signs in with it.
    const lib = await openLibrary(data.dir);
    try {
      const signedIn = await lib.auth.signIn({ email: 'grace@example.com', password: PASSWORD, mode: 'session' }, { ip: '127.0.0.1' });
      assert.equal(signedIn.user.email, 'grace@example.com');
    } finally {
      await lib.close();
    }
  });

  it('list pages with --limit and --after', async () => {
    const first = json(await runCli(data.dir, ['user', 'list', '--limit', '1', '--json']));
    assert.equal(first.users.length, 1);
    assert.equal(first.next, first.users[0].id);
    const second = json(await runCli(data.dir, ['user', 'list', '--limit', '1', '--after', first.next, '--json']));
    assert.equal(second.users.length, 1);
    assert.notEqual(second.users[0].id, first.users[0].id);
    // An id may begin with "-" (base64url): given after --after, it is a value, not a flag.
    // Twenty-two of them sort before any id, so every user follows.
    const dashed = json(await runCli(data.dir, ['user', 'list', '--after', '-'.repeat(22), '--json']));
    assert.equal(dashed.users.length, 2);
  });

  it('create refuses: no --password-stdin, an empty or weak password, a taken email (exit 2)', async () => {
    const [noFlag, empty, weak, taken] = await Promise.all([
      runCli(data.dir, ['user', 'create', '--email', 'x@example.com']),
      runCli(data.dir, ['user', 'create', '--email', 'x@example.com', '--password-stdin']),
      runCli(data.dir, ['user', 'create', '--email', 'y@example.com', '--password-stdin'], { input: 'short\n' }),
      runCli(data.dir, ['user', 'create', '--email', 'ADA@example.com', '--password-stdin'], { input: `${PASSWORD}\n` }),
    ]);
    for (const r of [noFlag, empty, weak, taken]) assert.equal(r.code, 2, r.stderr);
    assert.match(noFlag.stderr, /--password-stdin/);
    assert.match(taken.stderr, /already exists/);
    assert.ok(!weak.stderr.includes('short'));
  });

  it('disable (by email) ends the user\'s credentials; enable lets it sign in again', async () => {
    const lib = await openLibrary(data.dir);
    try {
      const signedIn = await lib.auth.signIn({ email: 'ada@example.com', password: PASSWORD, mode: 'jwt' }, { ip: '127.0.0.1' });
      assert.equal(signedIn.mode, 'jwt');
      const token = signedIn.mode === 'jwt' ? signedIn.accessToken : '';
      assert.equal((await runCli(data.dir, ['token', 'verify', token])).code, 0);

      const disabled = json<{ user: ShownUser }>(await runCli(data.dir, ['user', 'disable', 'ada@example.com', '--json']));
      assert.equal(disabled.user.id, adaId);
      assert.ok(disabled.user.disabledAt !== null);
      const refused = json(await runCli(data.dir, ['token', 'verify', token, '--json']));
      assert.deepEqual([refused.valid, refused.reason], [false, 'revoked']);
      await assert.rejects(lib.auth.signIn({ email: 'ada@example.com', password: PASSWORD, mode: 'session' }, { ip: '127.0.0.1' }));

      const enabled = json<{ user: ShownUser }>(await runCli(data.dir, ['user', 'enable', adaId, '--json']));
      assert.equal(enabled.user.disabledAt, null);
      await lib.auth.signIn({ email: 'ada@example.com', password: PASSWORD, mode: 'session' }, { ip: '127.0.0.1' });
    } finally {
      await lib.close();
    }
  });

  it('an unknown user exits 3', async () => {
    const results = await Promise.all([
      runCli(data.dir, ['user', 'disable', 'nobody@example.com']),
      runCli(data.dir, ['user', 'enable', 'no-such-id']),
      runCli(data.dir, ['user', 'delete', 'no-such-id', '--yes']),
      // Ids are base64url: one in 32 begins with "-", and is still an id, not a flag.
      runCli(data.dir, ['user', 'disable', '-AAAAAAAAAAAAAAAAAAAAA']),
    ]);
    for (const r of results) {
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /no user with/);
    }
  });

  it('delete needs --yes (exit 2), then deletes; the email is free again', async () => {
    const refused = await runCli(data.dir, ['user', 'delete', 'grace@example.com']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    const deleted = json(await runCli(data.dir, ['user', 'delete', 'grace@example.com', '--yes', '--json']));
    assert.equal(deleted.deleted.email, 'grace@example.com');
    const list = json<{ users: ShownUser[] }>(await runCli(data.dir, ['user', 'list', '--json']));
    assert.deepEqual(list.users.map((u) => u.email), ['Ada@Example.com']);
    const audit = json(await runCli(data.dir, ['audit', '--user', deleted.deleted.id, '--json']));
    assert.equal(audit.entries[0].type, 'user_deleted');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { openSqliteDatabase } from 'tessera/sqlite';
import { createUser, json, makeDataDir, openLibrary, PASSWORD, runCli } from './run-cli.js';

// tessera keys list|rotate|retire on a fresh SQLite directory. Statuses are checked right
// after each change: a rotated-in key signs only after the 60 s publish lead, so within a test
// it stays "next".

const data = makeDataDir();
after(() => data.remove());

interface ShownKey {
  kid: string;
  alg: string;
  status: 'next' | 'current' | 'retiring' | 'expired';
  signing: boolean;
  createdAt: string;
  activatesAt: string;
  retiresAt: string | null;
  expiresAt: string | null;
}

async function listKeys(env: Record<string, string> = {}): Promise<ShownKey[]> {
  return json<{ keys: ShownKey[] }>(await runCli(data.dir, ['keys', 'list', '--json'], { env })).keys;
}

/** The keys of another data directory, as `keys list --json` shows them. */
async function keysIn(dir: string, env: Record<string, string> = {}): Promise<ShownKey[]> {
  return json<{ keys: ShownKey[] }>(await runCli(dir, ['keys', 'list', '--json'], { env })).keys;
}

/** Makes `kid` active now and newer than the other keys: its publish lead over, without waiting a minute. */
function activateNow(dir: string, kid: string): void {
  const db = openSqliteDatabase(join(dir, 'tessera.db'));
  try {
    db.prepare('UPDATE signing_keys SET activates_at = ? WHERE kid = ?').run(Date.now() - 1, kid);
  } finally {
    db.close();
  }
}

describe('tessera keys', () => {
  let token: string;
  before(async () => {
    await createUser(data.dir, 'kim@example.com'); // the first start of the service creates the first key
    const lib = await openLibrary(data.dir);
    try {
      const r = await lib.auth.signIn({ email: 'kim@example.com', password: PASSWORD, mode: 'jwt' }, { ip: '127.0.0.1' });
      token = r.mode === 'jwt' ? r.accessToken : '';
    } finally {
      await lib.close();
    }
  });

  it('list shows the one current key, signing, without key material', async () => {
    const [r, human] = await Promise.all([runCli(data.dir, ['keys', 'list', '--json']), runCli(data.dir, ['keys', 'list'])]);
    assert.doesNotMatch(r.stdout, /"(d|k|x|privateJwk|publicJwk)"/);
    const keys = json<{ keys: ShownKey[] }>(r).keys;
    assert.equal(keys.length, 1);
    assert.deepEqual([keys[0]!.alg, keys[0]!.status, keys[0]!.signing, keys[0]!.retiresAt], ['EdDSA', 'current', true, null]);
    assert.match(human.stdout, /KID\s+ALG\s+STATUS\s+SIGNS\s+CREATED\s+ACTIVATES\s+RETIRES\s+EXPIRES/);
  });

  it('rotate --dry-run prints the plan and changes nothing', async () => {
    const before = await listKeys();
    const plan = json(await runCli(data.dir, ['keys', 'rotate', '--dry-run', '--json']));
    assert.equal(plan.dryRun, true);
    assert.equal(plan.newKey.alg, 'EdDSA');
    assert.ok(Date.parse(plan.newKey.activatesAt) > Date.parse(plan.newKey.publishedAt), 'published before it signs');
    assert.deepEqual(plan.retiring.map((r: { kid: string }) => r.kid), [before[0]!.kid]);
    assert.equal(plan.retiring[0].retiresAt, plan.newKey.activatesAt);
    assert.deepEqual(await listKeys(), before);
  });

  it('rotate publishes a next key; the current one is scheduled to retire when it activates', async () => {
    const [old] = await listKeys();
    const done = json(await runCli(data.dir, ['keys', 'rotate', '--json']));
    assert.equal(done.dryRun, false);
    const keys = await listKeys();
    assert.equal(keys.length, 2);
    const fresh = keys.find((k) => k.kid === done.newKey.kid)!;
    const previous = keys.find((k) => k.kid === old!.kid)!;
    assert.deepEqual([fresh.status, fresh.signing], ['next', false]);
    assert.deepEqual([previous.status, previous.signing], ['current', true]);
    assert.equal(previous.retiresAt, fresh.activatesAt);
    // 15 min access token TTL + 5 s clock tolerance after it stops signing.
    assert.equal(Date.parse(previous.expiresAt!) - Date.parse(previous.retiresAt!), 905_000);
    // Tokens of the old key stay valid; the rotation is audited.
    const [verified, audit] = await Promise.all([
      runCli(data.dir, ['token', 'verify', token]),
      runCli(data.dir, ['audit', '--json', '--limit', '1']),
    ]);
    assert.equal(verified.code, 0);
    assert.equal(json(audit).entries[0].type, 'key_rotated');
  });

  it('retire: already scheduled keys are left alone; a next key with no successor is refused (exit 2)', async () => {
    const keys = await listKeys();
    const current = keys.find((k) => k.status === 'current')!;
    const next = keys.find((k) => k.status === 'next')!;
    const [kept, refused] = await Promise.all([
      runCli(data.dir, ['keys', 'retire', current.kid, '--json']),
      runCli(data.dir, ['keys', 'retire', next.kid]),
    ]);
    const unchanged = json(kept);
    assert.equal(unchanged.changed, false);
    assert.match(unchanged.note, /already scheduled/);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /no other key could sign/);
    assert.deepEqual(await listKeys(), keys);
  });

  it('an algorithm change takes a rotation: a start with another TESSERA_JWT_ALG creates no key', async () => {
    const own = makeDataDir();
    try {
      await createUser(own.dir, 'alg@example.com');
      const env = { TESSERA_JWT_ALG: 'ES256' };
      const keysOf = () => keysIn(own.dir, env);
      const [ed] = await keysOf();
      assert.equal((await runCli(own.dir, ['user', 'list'], { env })).code, 0);
      assert.deepEqual((await keysOf()).map((k) => [k.kid, k.alg, k.signing]), [[ed!.kid, 'EdDSA', true]]);
      const rotated = json(await runCli(own.dir, ['keys', 'rotate', '--json'], { env }));
      const after = await keysOf();
      const es = after.find((k) => k.kid === rotated.newKey.kid)!;
      assert.deepEqual([es.alg, es.status, es.signing], ['ES256', 'next', false]);
      assert.equal(after.find((k) => k.kid === ed!.kid)!.retiresAt, es.activatesAt);
    } finally {
      own.remove();
    }
  });

  it('retire stops a current key when another signs; the last signer is refused', async () => {
    const own = makeDataDir();
    try {
      await createUser(own.dir, 'two@example.com');
      const lib = await openLibrary(own.dir);
      let edToken = '';
      try {
        const r = await lib.auth.signIn({ email: 'two@example.com', password: PASSWORD, mode: 'jwt' }, { ip: '127.0.0.1' });
        edToken = r.mode === 'jwt' ? r.accessToken : '';
      } finally {
        await lib.close();
      }
      const env = { TESSERA_JWT_ALG: 'ES256' };
      const keysOf = () => keysIn(own.dir, env);
      const [ed] = await keysOf();
      const es = json(await runCli(own.dir, ['keys', 'rotate', '--json'], { env })).newKey as { kid: string };
      // Two keys signing at once, as an algorithm change left them before starts stopped
      // creating keys (or a clock stepped past the publish lead): the ES256 key active now, the
      // EdDSA key not scheduled to retire.
      activateNow(own.dir, es.kid);
      const db = openSqliteDatabase(join(own.dir, 'tessera.db'));
      try {
        db.prepare('UPDATE signing_keys SET retires_at = NULL, expires_at = NULL WHERE kid = ?').run(ed!.kid);
      } finally {
        db.close();
      }
      const keys = await keysOf();
      assert.deepEqual(keys.map((k) => [k.alg, k.status, k.signing]).sort(), [['ES256', 'current', true], ['EdDSA', 'current', false]]);

      const dry = json(await runCli(own.dir, ['keys', 'retire', ed!.kid, '--dry-run', '--json'], { env }));
      assert.deepEqual([dry.dryRun, dry.changed], [true, true]);
      assert.deepEqual(await keysOf(), keys);

      const done = json(await runCli(own.dir, ['keys', 'retire', ed!.kid, '--json'], { env }));
      assert.equal(done.changed, true);
      const retired = (await keysOf()).find((k) => k.kid === ed!.kid)!;
      assert.equal(retired.status, 'retiring');
      assert.equal(Date.parse(retired.expiresAt!) - Date.parse(retired.retiresAt!), 905_000);
      // A token it signed still verifies until then.
      assert.equal((await runCli(own.dir, ['token', 'verify', edToken], { env })).code, 0);

      const last = await runCli(own.dir, ['keys', 'retire', es.kid], { env });
      assert.equal(last.code, 2);
      assert.match(last.stderr, /no other key could sign/);
    } finally {
      own.remove();
    }
  });

  it('retire --now stops a leaked key verifying at once, on a running instance too; refused while no other key can sign', async () => {
    const own = makeDataDir();
    try {
      await createUser(own.dir, 'leak@example.com');
      const lib = await openLibrary(own.dir);
      try {
        const signedIn = await lib.auth.signIn({ email: 'leak@example.com', password: PASSWORD, mode: 'jwt' }, { ip: '127.0.0.1' });
        const leakedToken = signedIn.mode === 'jwt' ? signedIn.accessToken : '';
        const bearer = { authorization: `Bearer ${leakedToken}` };
        for (let i = 0; i < 2; i++) assert.equal((await lib.auth.authenticate(bearer)).status, 'authenticated'); // cached
        const keysOf = () => keysIn(own.dir);
        const [leaked] = await keysOf();

        const alone = await runCli(own.dir, ['keys', 'retire', leaked!.kid, '--now']);
        assert.equal(alone.code, 2);
        assert.match(alone.stderr, /no other key can sign access tokens yet/);

        const fresh = json(await runCli(own.dir, ['keys', 'rotate', '--json'])).newKey as { kid: string };
        activateNow(own.dir, fresh.kid);
        const before = await keysOf();
        const dry = json(await runCli(own.dir, ['keys', 'retire', leaked!.kid, '--now', '--dry-run', '--json']));
        assert.deepEqual([dry.dryRun, dry.changed], [true, true]);
        assert.deepEqual(await keysOf(), before);

        const done = json(await runCli(own.dir, ['keys', 'retire', leaked!.kid, '--now', '--json']));
        assert.equal(done.changed, true);
        assert.match(done.note, /stops signing and verifying now/);
        assert.equal((await keysOf()).find((k) => k.kid === leaked!.kid)!.status, 'expired');
        assert.equal((await runCli(own.dir, ['token', 'verify', leakedToken])).code, 4);
        // A running instance, once it reloads its keys, refuses the token it had cached.
        await lib.auth.refreshState();
        const r = await lib.auth.authenticate(bearer);
        assert.equal(r.status === 'anonymous' && r.reason, 'invalid');
      } finally {
        await lib.close();
      }
    } finally {
      own.remove();
    }
  });

  it('an unknown kid exits 3', async () => {
    const r = await runCli(data.dir, ['keys', 'retire', 'no-such-kid']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /no signing key with kid "no-such-kid"/);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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

  it('retire stops a current key when another signs (an algorithm change); the last signer is refused', async () => {
    // TESSERA_JWT_ALG=ES256: the service's start creates an ES256 key signing at once, beside the EdDSA keys.
    const env = { TESSERA_JWT_ALG: 'ES256' };
    assert.equal((await runCli(data.dir, ['user', 'list'], { env })).code, 0);
    const keys = await listKeys(env);
    const es = keys.find((k) => k.alg === 'ES256')!;
    const ed = keys.find((k) => k.alg === 'EdDSA' && k.status === 'current')!;
    assert.equal(es.signing, true);

    const dry = json(await runCli(data.dir, ['keys', 'retire', ed.kid, '--dry-run', '--json'], { env }));
    assert.deepEqual([dry.dryRun, dry.changed], [true, true]);
    assert.deepEqual(await listKeys(env), keys);

    const done = json(await runCli(data.dir, ['keys', 'retire', ed.kid, '--json'], { env }));
    assert.equal(done.changed, true);
    const after = (await listKeys(env)).find((k) => k.kid === ed.kid)!;
    assert.equal(after.status, 'retiring');
    assert.equal(Date.parse(after.expiresAt!) - Date.parse(after.retiresAt!), 905_000);
    // A token it signed still verifies until then.
    assert.equal((await runCli(data.dir, ['token', 'verify', token], { env })).code, 0);

    // The next EdDSA key would still take over in a minute, so retiring ES256 waits for it.
    const waits = json(await runCli(data.dir, ['keys', 'retire', es.kid, '--dry-run', '--json'], { env }));
    assert.equal(waits.changed, true);
    assert.match(waits.note, /takes over/);
  });

  it('an unknown kid exits 3', async () => {
    const r = await runCli(data.dir, ['keys', 'retire', 'no-such-kid']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /no signing key with kid "no-such-kid"/);
  });
});

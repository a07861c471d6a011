import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanUpServers, spawnServer } from '../robustness/spawn-server.js';
import { makeDataDir, runCli } from './run-cli.js';

// The command line itself: help for every command, usage errors (exit 2, naming the flag or
// variable and never its value), a store that cannot be reached (exit 1), no stack traces.

const data = makeDataDir();
after(async () => {
  data.remove();
  await cleanUpServers();
});

/** Every command, with flags its --help must mention. */
const HELP: ReadonlyArray<[string[], string[]]> = [
  [[], ['serve', 'migrate', 'user', 'sessions', 'keys', 'token', 'audit', 'hash', 'bench', 'Exit codes']],
  [['serve'], ['--port', '--data-dir', '--database-url', '--redis-url', '--issuer']],
  [['migrate'], ['--json', '--data-dir', '--database-url']],
  [['user'], ['create', 'list', 'disable', 'enable', 'delete']],
  [['user', 'create'], ['--email', '--password-stdin', '--json', '--data-dir']],
  [['user', 'list'], ['--limit', '--after', '--json']],
  [['user', 'disable'], ['<id|email>', '--json']],
  [['user', 'enable'], ['<id|email>', '--json']],
  [['user', 'delete'], ['<id|email>', '--yes']],
  [['sessions'], ['list', 'revoke']],
  [['sessions', 'list'], ['<id|email>', '--json']],
  [['sessions', 'revoke'], ['--user', '--all', '<session id>']],
  [['keys'], ['list', 'rotate', 'retire']],
  [['keys', 'list'], ['next', 'current', 'retiring', 'expired', '--json']],
  [['keys', 'rotate'], ['--dry-run', '--json']],
  [['keys', 'retire'], ['<kid>', '--dry-run']],
  [['token'], ['decode', 'verify']],
  [['token', 'decode'], ['NOT verified', '--json']],
  [['token', 'verify'], ['--issuer', 'Exit 0', '--json']],
  [['audit'], ['--user', '--limit', '--before', '--json']],
  [['hash'], ['calibrate']],
  [['hash', 'calibrate'], ['--target-ms', '--max-memory-mib', '--json']],
  [['bench'], ['--duration', '--connections', '--json']],
];

describe('tessera CLI basics', () => {
  it('--help of every command exits 0 and names its flags', async () => {
    const results = await Promise.all(HELP.map(([args]) => runCli(data.dir, [...args, '--help'])));
    HELP.forEach(([args, words], i) => {
      const r = results[i]!;
      assert.equal(r.code, 0, `tessera ${args.join(' ')} --help: ${r.stderr}`);
      for (const w of words) assert.ok(r.stdout.includes(w), `tessera ${args.join(' ')} --help should mention ${w}:\n${r.stdout}`);
    });
  });

  it('no command prints the usage to stderr and exits 2; an unknown one exits 2', async () => {
    const [none, unknown, group, sub] = await Promise.all([
      runCli(data.dir, []),
      runCli(data.dir, ['frobnicate']),
      runCli(data.dir, ['user']),
      runCli(data.dir, ['keys', 'explode']),
    ]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: tessera/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.equal(group.code, 2);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /unknown command "keys explode"/);
  });

  it('a bad flag exits 2 naming the flag, never the value given to it', async () => {
    const [unknown, missing, typed, range, negative] = await Promise.all([
      runCli(data.dir, ['user', 'list', '--bogus=s3cret-value']),
      runCli(data.dir, ['user', 'list', '--limit']),
      runCli(data.dir, ['keys', 'list', '--json=yes']),
      runCli(data.dir, ['user', 'list', '--limit', '5000']),
      runCli(data.dir, ['user', 'list', '--limit', '-1']),
    ]);
    for (const r of [unknown, missing, typed, range, negative]) assert.equal(r.code, 2, r.stderr);
    assert.match(unknown.stderr, /unknown flag --bogus/);
    assert.ok(!unknown.stderr.includes('s3cret-value'));
    assert.match(missing.stderr, /--limit needs a value/);
    assert.match(typed.stderr, /--json takes no value/);
    assert.match(range.stderr, /--limit must be an integer from 1 to 1000/);
    // A negative number is the flag's value, out of range, not a flag of its own.
    assert.match(negative.stderr, /--limit must be an integer from 1 to 1000; got "-1"/);
  });

  it('a bad configuration exits 2 naming the variable (and not the secret URL)', async () => {
    const [env, flag] = await Promise.all([
      runCli(data.dir, ['user', 'list'], { env: { TESSERA_DATABASE_URL: 'mysql://root:hunter2@db/x' } }),
      runCli(data.dir, ['keys', 'list', '--issuer', 'not a url']),
    ]);
    assert.equal(env.code, 2);
    assert.match(env.stderr, /TESSERA_DATABASE_URL/);
    assert.ok(!env.stderr.includes('hunter2'));
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--issuer/);
  });

  it('an unreachable store exits 1 with one line and no stack trace; TESSERA_DEBUG=1 adds it', async () => {
    const url = 'postgres://tessera:pw-not-shown@127.0.0.1:1/none';
    const [plain, debug] = await Promise.all([
      runCli(data.dir, ['user', 'list', '--database-url', url]),
      runCli(data.dir, ['user', 'list', '--database-url', url], { env: { TESSERA_DEBUG: '1' } }),
    ]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^tessera: cannot open the store \(PostgreSQL\)/);
    assert.equal(plain.stderr.trim().split('\n').length, 1, plain.stderr);
    assert.ok(!plain.stderr.includes('pw-not-shown'));
    assert.equal(debug.code, 1);
    assert.match(debug.stderr, /\n\s+at /);
  });

  it('serve on a data directory whose database is not SQLite exits 1 naming the directory and its setting, not "temporarily unavailable"', async () => {
    const broken = makeDataDir();
    try {
      writeFileSync(join(broken.dir, 'tessera.db'), 'these bytes are not a database');
      const r = await runCli(broken.dir, ['serve', '--port', '1']);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.startsWith(`tessera: cannot start the server (SQLite in ${broken.dir} (TESSERA_DATA_DIR)): file is not a database`), r.stderr);
      assert.doesNotMatch(r.stderr, /temporarily/);
    } finally {
      broken.remove();
    }
  });

  it('--json errors are one JSON line on stderr with the exit code', async () => {
    const r = await runCli(data.dir, ['user', 'disable', 'nobody@example.com', '--json']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.deepEqual(JSON.parse(r.stderr), { error: { exitCode: 3, message: 'no user with email "nobody@example.com"' } });
  });

  it('serve runs the server until SIGTERM (exit 0); a bad flag exits 2', async () => {
    const server = await spawnServer();
    const res = await server.fetch('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    const bad = await runCli(data.dir, ['serve', '--prot', '80']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--prot/);
  });
});

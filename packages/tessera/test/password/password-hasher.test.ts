import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARGON2_DEFAULT_PARAMS, createArgon2Hasher } from '../../src/password/password-hasher.js';
import type { HasherOperation } from '../../src/password/password-hasher.js';
import { TesseraError } from '../../src/errors.js';
import { ManualClock } from '../../src/clock.js';

// The real argon2id, with small parameters so the suite stays fast.
const SMALL = { memoryKiB: 1024, timeCost: 1, parallelism: 1 };
const PASSWORD = 'violet tractor mends the quiet harbour';

test('hash/verify round trip; a wrong password does not verify', async () => {
  const hasher = createArgon2Hasher(SMALL);
  const hash = await hasher.hash(PASSWORD);
  assert.match(hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  assert.equal(await hasher.verify(hash, PASSWORD), true);
  assert.equal(await hasher.verify(hash, `${PASSWORD}.`), false);
  assert.equal(await hasher.verify(hash, ''), false);
  assert.notEqual(await hasher.hash(PASSWORD), hash, 'fresh salt per hash');
});

test('composed and decomposed forms verify against the same hash (NFKC)', async () => {
  const hasher = createArgon2Hasher(SMALL);
  const hash = await hasher.hash('caf\u00E9 cr\u00E8me br\u00FBl\u00E9e');
  assert.equal(await hasher.verify(hash, 'cafe\u0301 cre\u0300me bru\u0302le\u0301e'), true);
  const ligature = await hasher.hash('\uFB01sh and chips \uFF11\uFF12\uFF13');
  assert.equal(await hasher.verify(ligature, 'fish and chips 123'), true);
});

test('no truncation: 80-byte passwords differing only in the last byte do not match', async () => {
  const hasher = createArgon2Hasher(SMALL);
  const a = `${'x'.repeat(79)}a`;
  const b = `${'x'.repeat(79)}b`;
  assert.equal(Buffer.byteLength(a), 80);
  const hash = await hasher.hash(a);
  assert.equal(await hasher.verify(hash, a), true);
  assert.equal(await hasher.verify(hash, b), false);
});

test('a malformed or foreign hash makes verify return false, never throw', async () => {
  const hasher = createArgon2Hasher(SMALL);
  for (const bad of ['', 'not a hash', '$argon2id$v=19$m=1024,t=1,p=1$$', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW', '$argon2id$v=19$m=abc']) {
    assert.equal(await hasher.verify(bad, PASSWORD), false, bad);
  }
});

test('needsRehash: weaker parameters, other algorithms and malformed strings need a rehash', async () => {
  const hasher = createArgon2Hasher({ memoryKiB: 2048, timeCost: 2, parallelism: 1 });
  const salt = 'c29tZXNhbHRzb21lc2FsdA';
  const digest = 'iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A';
  const phc = (alg: string, v: number, m: number, t: number, p: number) => `$${alg}$v=${v}$m=${m},t=${t},p=${p}$${salt}$${digest}`;
  assert.equal(hasher.needsRehash(await hasher.hash(PASSWORD)), false, 'a fresh hash');
  assert.equal(hasher.needsRehash(phc('argon2id', 19, 2048, 2, 1)), false, 'equal');
  assert.equal(hasher.needsRehash(phc('argon2id', 19, 4096, 3, 2)), false, 'stronger');
  assert.equal(hasher.needsRehash(phc('argon2id', 19, 1024, 2, 1)), true, 'less memory');
  assert.equal(hasher.needsRehash(phc('argon2id', 19, 2048, 1, 1)), true, 'fewer passes');
  assert.equal(hasher.needsRehash(phc('argon2id', 16, 2048, 2, 1)), true, 'old version');
  assert.equal(hasher.needsRehash(phc('argon2i', 19, 2048, 2, 1)), true, 'argon2i');
  assert.equal(hasher.needsRehash(phc('argon2d', 19, 2048, 2, 1)), true, 'argon2d');
  assert.equal(hasher.needsRehash('$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'), true, 'bcrypt');
  assert.equal(hasher.needsRehash('garbage'), true, 'malformed');
  const p2 = createArgon2Hasher({ ...SMALL, parallelism: 2 });
  assert.equal(p2.needsRehash(phc('argon2id', 19, 1024, 1, 1)), true, 'fewer lanes');
});

test('burn resolves, spends a verify, and reuses one dummy hash', async () => {
  const ops: HasherOperation[] = [];
  const hasher = createArgon2Hasher({ ...SMALL, onDuration: (op) => ops.push(op) });
  assert.equal(await hasher.burn(PASSWORD), undefined);
  await Promise.all([hasher.burn('a'), hasher.burn('b'), hasher.burn('')]);
  assert.deepEqual(ops, ['burn', 'burn', 'burn', 'burn']);
});

test('defaults are at least the OWASP argon2id minimum (m=19456 KiB, t=2, p=1)', async () => {
  assert.ok(ARGON2_DEFAULT_PARAMS.memoryKiB >= 19456);
  assert.ok(ARGON2_DEFAULT_PARAMS.timeCost >= 2);
  assert.ok(ARGON2_DEFAULT_PARAMS.parallelism >= 1);
  const hasher = createArgon2Hasher();
  assert.deepEqual(hasher.params, ARGON2_DEFAULT_PARAMS);
  const hash = await hasher.hash(PASSWORD);
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(hash);
  assert.ok(m, hash);
  assert.ok(Number(m[1]) >= 19456 && Number(m[2]) >= 2 && Number(m[3]) >= 1, hash);
  assert.equal(hasher.needsRehash(hash), false);
});

test('the queue sheds load: concurrency 1, maxQueue 2, the 4th concurrent call is refused', async () => {
  const hasher = createArgon2Hasher({ ...SMALL, concurrency: 1, maxQueue: 2 });
  const calls = [hasher.hash('one one one one'), hasher.hash('two two two two'), hasher.hash('three three three')];
  assert.deepEqual(hasher.stats(), { inFlight: 1, waiting: 2 });
  await assert.rejects(hasher.verify('$argon2id$whatever', 'four'), (error: unknown) => {
    assert.ok(error instanceof TesseraError);
    assert.equal(error.code, 'unavailable');
    assert.equal(error.status, 503);
    assert.equal(error.retryAfterSeconds, 1);
    return true;
  });
  const hashes = await Promise.all(calls);
  assert.equal(hashes.length, 3);
  assert.equal(await hasher.verify(hashes[2]!, 'three three three'), true, 'the queue drained');
  assert.deepEqual(hasher.stats(), { inFlight: 0, waiting: 0 });
});

test('onDuration reports each operation; a throwing callback does not fail it', async () => {
  const clock = new ManualClock();
  const seen: [HasherOperation, number][] = [];
  const hasher = createArgon2Hasher({ ...SMALL, clock, onDuration: (op, s) => seen.push([op, s]) });
  const hash = await hasher.hash(PASSWORD);
  await hasher.verify(hash, PASSWORD);
  assert.deepEqual(seen, [['hash', 0], ['verify', 0]], 'a manual clock that does not move gives 0 s');

  const real: number[] = [];
  const timed = createArgon2Hasher({ ...SMALL, onDuration: (_op, s) => real.push(s) });
  await timed.hash(PASSWORD);
  assert.ok(real.length === 1 && real[0]! > 0 && real[0]! < 10, String(real[0]));

  const noisy = createArgon2Hasher({ ...SMALL, onDuration: () => { throw new Error('metrics down'); } });
  assert.equal(await noisy.verify(await noisy.hash(PASSWORD), PASSWORD), true);
});

test('invalid configuration is refused', () => {
  assert.throws(() => createArgon2Hasher({ memoryKiB: 0 }), RangeError);
  assert.throws(() => createArgon2Hasher({ concurrency: 0 }), RangeError);
  assert.throws(() => createArgon2Hasher({ maxQueue: -1 }), RangeError);
});

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { json, makeDataDir, runCli } from './run-cli.js';

// tessera hash calibrate and tessera bench: both measure this machine, so only their shape and
// their bounds are asserted, never a speed.

const data = makeDataDir();
after(() => data.remove());

const OWASP_FLOOR = { memoryKiB: 19456, timeCost: 2, parallelism: 1 };

describe('tessera hash calibrate', () => {
  it('never recommends less than the OWASP floor (a 1 ms target keeps the floor)', async () => {
    const r = await runCli(data.dir, ['hash', 'calibrate', '--target-ms', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = json(r);
    assert.deepEqual(out.recommended, OWASP_FLOOR);
    assert.deepEqual(out.floor.memoryKiB, OWASP_FLOOR.memoryKiB);
    assert.ok(out.measuredMs > 0);
    assert.equal(out.targetMs, 1);
    assert.match(out.note, /floor/);
  });

  it('raises the parameters for a reachable target, staying within the memory ceiling', async () => {
    const r = await runCli(data.dir, ['hash', 'calibrate', '--target-ms', '400', '--max-memory-mib', '24']);
    assert.equal(r.code, 0, r.stderr);
    const line = /Recommended: (\{.*\}) \(([\d.]+) ms per hash here, target 400 ms\)/.exec(r.stdout);
    assert.ok(line, r.stdout);
    const recommended = JSON.parse(line[1]!) as typeof OWASP_FLOOR;
    assert.ok(recommended.memoryKiB >= OWASP_FLOOR.memoryKiB && recommended.memoryKiB <= 24 * 1024);
    assert.ok(recommended.timeCost >= OWASP_FLOOR.timeCost);
    assert.equal(recommended.parallelism, 1);
    assert.match(r.stdout, /MEMORY KiB\s+t\s+p\s+MS/);
  });

  it('refuses a memory ceiling below the floor (exit 2)', async () => {
    const r = await runCli(data.dir, ['hash', 'calibrate', '--max-memory-mib', '8']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--max-memory-mib must be at least 19/);
  });
});

describe('tessera bench', () => {
  it('loads GET /auth/me in both modes and prints req/s, mean, p50, p99 and the credential bytes (table and JSON)', async () => {
    // Both outputs at once: nothing here depends on the speed measured.
    const [r, human] = await Promise.all([
      runCli(data.dir, ['bench', '--duration', '1', '--warmup', '0', '--connections', '2', '--json'], { timeoutMs: 40_000 }),
      runCli(data.dir, ['bench', '--duration', '1', '--connections', '1'], { timeoutMs: 40_000 }),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^GET \/auth\/me, 1 connection, 1 s per mode after 1 s of warm-up/);
    assert.match(human.stdout, /MODE\s+REQ\/S\s+MEAN MS\s+P50 MS\s+P99 MS\s+CREDENTIAL BYTES\s+ERRORS/);
    // The mean to hundredths; the percentiles in whole milliseconds, "<1" below one.
    assert.match(human.stdout, /^session\s+\d+\s+\d+\.\d\d\s+(<1|\d+)\s+(<1|\d+)\s+\d+\s+0$/m);
    assert.match(human.stdout, /^jwt\s+\d+\s+\d+\.\d\d\s+(<1|\d+)\s+(<1|\d+)\s+\d+\s+0$/m);
    const out = json(r);
    assert.equal(out.durationSeconds, 1);
    assert.equal(out.warmupSeconds, 0);
    assert.equal(out.connections, 2);
    assert.deepEqual(out.results.map((x: { mode: string }) => x.mode), ['session', 'jwt']);
    for (const x of out.results) {
      assert.deepEqual(Object.keys(x).sort(), ['credentialBytes', 'errors', 'meanMs', 'mode', 'p50Ms', 'p99Ms', 'requests', 'requestsPerSecond']);
      assert.ok(x.requests > 0 && x.requestsPerSecond > 0, JSON.stringify(x));
      // Little's law over 2 connections, one request in flight on each.
      assert.ok(Math.abs(x.meanMs - (2 * 1000) / x.requestsPerSecond) < 1e-9, JSON.stringify(x));
      assert.ok(Number.isInteger(x.p50Ms) && Number.isInteger(x.p99Ms), JSON.stringify(x));
      assert.equal(x.errors, 0);
      assert.ok(x.p99Ms >= x.p50Ms);
    }
    // A bearer JWT is several times the size of a session cookie.
    assert.ok(out.results[1].credentialBytes > out.results[0].credentialBytes);
    // The configured store is not touched: the bench ran on a temp directory.
    const keys = json(await runCli(data.dir, ['keys', 'list', '--json']));
    assert.deepEqual(keys.keys, []);
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BenchResults, TargetLine } from '../bench/lib/results.js';

// Issue 4: "CI runs a short smoke version of the benchmarks so they cannot rot". The whole
// suite (`npm run bench:smoke`: micro and HTTP, every peer, floor and Tessera row, sign-ins)
// runs with tiny durations; this checks that it ran to the end and that every row and target
// produced a figure. No timing is asserted: CI machines are shared and the numbers of a
// smoke run mean nothing. About 70 s on 2 cores.

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'tessera-bench-smoke-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** The rows every run has; the Redis- and PostgreSQL-backed ones only where those answer (CI has both). */
const EXPECTED_ROWS = [
  'bare', 'tessera-session', 'tessera-session-cached', 'tessera-jwt-seen', 'tessera-jwt-fresh',
  'tessera-jwt-seen-quiet', 'tessera-jwt-fresh-quiet',
  'library-session', 'library-guard-session', 'library-jwt-seen', 'library-guard-jwt-seen', 'library-jwt-fresh',
  'floor-eddsa', 'sqlite-hook', 'fastify-jwt-eddsa', 'fastify-session',
  'redis-hook', 'express-session-redis', 'tessera-session-redis', 'tessera-session-redis-cached', 'library-session-redis',
  'tessera-session-redis-pg', 'pg-hook',
];

function runSmoke(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run bench:smoke', () => {
  it('runs every benchmark to the end and writes the table, the chart and the JSON', { timeout: 600_000 }, async () => {
    const { code, output } = await runSmoke();
    assert.equal(code, 0, `bench exited ${code}:\n${output.slice(-3000)}`);
    for (const file of ['benchmarks.md', 'benchmarks.svg', 'results.json']) assert.ok(existsSync(join(out, file)), `${file} was not written`);

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults & { targets: TargetLine[] };
    assert.equal(results.smoke, true);
    const rows = new Map((results.http?.scenarios ?? []).map((s) => [s.id, s]));
    for (const id of EXPECTED_ROWS) {
      const row = rows.get(id);
      assert.ok(row, `row ${id} is missing`);
      assert.equal(row.error, undefined, `row ${id} broke: ${row.error}`);
      assert.equal(row.skipped, undefined, `row ${id} was skipped: ${row.skipped}`);
      assert.ok(row.rounds.length >= 1 && row.rps > 0, `row ${id} measured nothing`);
      assert.ok(row.failureRate < 0.01, `row ${id}: ${(row.failureRate * 100).toFixed(1)} % of its requests failed`);
    }
    assert.equal(results.http?.revocationStatus, 401, 'a logged-out token was still accepted');
    assert.ok(!('error' in (results.http?.logins ?? { error: 'missing' })), 'the sign-in benchmark did not run');
    assert.ok(results.micro && !('error' in results.micro.scale), 'the scale benchmark did not run');
    for (const store of ['sqlite', 'postgres', 'redis']) {
      assert.ok((results.micro.sessions.find((s) => s.store === store)?.bytesPerSession ?? 0) > 0, `no bytes per session for ${store}`);
    }
    // Every issue-4 target is judged on a figure ("met" or "not met"), none left unmeasured.
    assert.ok(results.targets.length >= 12);
    for (const t of results.targets) assert.notEqual(t.status, 'not measured', `${t.target}: ${t.measured}`);

    const markdown = readFileSync(join(out, 'benchmarks.md'), 'utf8');
    assert.match(markdown, /## Issue 4 targets/);
    for (const row of rows.values()) assert.ok(markdown.includes(row.label), `the table lacks ${row.label}`);
    assert.match(readFileSync(join(out, 'benchmarks.svg'), 'utf8'), /^<svg[\s\S]*<\/svg>\s*$/);
  });
});

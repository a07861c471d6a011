#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test and test/ with node:test and the tsx loader.
// node:test on Node 20 expands no globs and loads no .ts, hence this list.
// Usage: node scripts/run-tests.mjs [substring filters…]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['packages/tessera/test', 'packages/server/test', 'test'];
const filters = process.argv.slice(2);

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = roots.flatMap((r) => walk(r, [])).sort()
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
console.log(`running ${files.length} test files`);
// --test-timeout also bounds each file as a whole (its process is a test of the runner). 300 s:
// the route fuzzer's file (13 properties of 2,000 runs) took over 120 s, the earlier bound, on a
// day this machine ran 3× slower than usual (2026-12-05); a hang is still cut off.
const result = spawnSync(process.execPath, [
  '--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=300000',
  ...files.map((f) => relative(process.cwd(), f)),
], { stdio: 'inherit', env: { ...process.env, TESSERA_LOG_LEVEL: process.env.TESSERA_LOG_LEVEL ?? 'silent' } });
process.exit(result.status ?? 1);

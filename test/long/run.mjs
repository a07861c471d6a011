#!/usr/bin/env node
// `npm run test:long`: the long variants, which `npm test` does not run (they are named
// *.long.ts, not *.test.ts): 200 SIGKILL repetitions, clock jumps at random, the 60 s load
// runs, the parser fuzzers at 10× their CI runs. Needs `npm run build` (spawned servers run
// dist/cli.js). Usage: node test/long/run.mjs [substring filters…]
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.long.ts'))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort()
  .map((name) => relative(process.cwd(), join(here, name)));
if (files.length === 0) {
  console.error('no long suites matched');
  process.exit(1);
}
console.log(`running ${files.length} long suites: ${files.join(', ')}`);
const result = spawnSync(process.execPath, [
  '--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', '--test-timeout=3600000',
  ...files,
], { stdio: 'inherit', env: { ...process.env, TESSERA_LOG_LEVEL: process.env.TESSERA_LOG_LEVEL ?? 'silent' } });
process.exit(result.status ?? 1);

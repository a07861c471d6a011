import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { describeConfig } from '../src/config.js';
import { spawnServer, stopAllServers } from './robustness/spawn-server.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

function section(name: string): string {
  const m = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(readme);
  assert.ok(m, `README has a ${name} section`);
  return m[1]!;
}

describe('README', () => {
  after(stopAllServers);

  it('the configuration table is exactly describeConfig()', () => {
    const rows = section('config').split('\n').filter((l) => l.startsWith('| `'));
    const expected = describeConfig().map((r) => `| \`${r.env}\` | ${r.flag ? `\`${r.flag}\`` : ''} | ${r.default} | ${r.description} |`);
    assert.deepEqual(rows, expected);
  });

  it('each integration snippet is exactly the example app that CI runs', () => {
    for (const name of ['fastify-app', 'express-app', 'hono-app']) {
      const snippet = /```ts\n([\s\S]*?)```/.exec(section(`example:${name}`))![1]!;
      assert.equal(snippet, readFileSync(new URL(`../../../examples/${name}/server.ts`, import.meta.url), 'utf8'), name);
    }
  });

  it('the curl walkthrough runs as written against a real server', { timeout: 60_000 }, async () => {
    const script = /```sh\n([\s\S]*?)```/.exec(section('walkthrough'))![1]!;
    const server = await spawnServer();
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      env: { ...process.env, TESSERA_URL: server.baseUrl },
      timeout: 50_000,
    });
    // The two status lines after sign-out: the access token and the cookie are refused at once.
    assert.match(stdout, /401\n401\n$/);
    assert.match(stdout, /"mode":"jwt"/);
    assert.match(stdout, /"sessions":\[/);
    await server.stop();
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exerciseAuthFlow } from '../packages/tessera/test/adapters/auth-flow.js';

// The examples the README shows, run as a user would (`node --import tsx examples/…`), each
// importing the library by its public name (so from the build: `npm run build` first), on
// a free port and a temporary data directory, then driven over real HTTP.

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = ['fastify-app', 'express-app', 'hono-app'];
const STARTUP_MS = 30_000;

const children = new Set<ChildProcess>();
const dataDirs: string[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts an example and resolves once it says it is listening (rejects if it dies first). */
function start(example: string, port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('examples', example, 'server.ts')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), TESSERA_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${example} did not start within ${STARTUP_MS} ms:\n${output}`)), STARTUP_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes(`listening on http://127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${example} exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

/** Stops a child by its PID and waits for it to be gone (SIGKILL if SIGTERM is not enough). */
async function stop(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

after(async () => {
  await Promise.all([...children].map(stop));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('examples', () => {
  it('the library is built (the examples import it by its public name)', () => {
    assert.ok(existsSync(join(root, 'packages/tessera/dist/index.js')), 'run `npm run build` first');
  });

  for (const example of EXAMPLES) {
    it(`${example}: sign up, sign in (both modes), the protected route, sign out`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), `tessera-${example}-`));
      dataDirs.push(dataDir);
      const port = await freePort();
      const child = await start(example, port, dataDir);
      try {
        await exerciseAuthFlow((path, init) => fetch(`http://127.0.0.1:${port}${path}`, init));
        assert.ok(existsSync(join(dataDir, 'tessera.db')), 'the SQLite database is in the data directory');
      } finally {
        await stop(child);
      }
    });
  }
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startChild, waitForHttp } from './lib/children.js';
import type { Child } from './lib/children.js';
import { runLoad } from './lib/load.js';
import { median } from './lib/timing.js';
import { LOG_LEVELS } from '../packages/server/src/config.js';
import { SERVER_NODE_FLAGS, signInBoth } from './http/tessera.js';

/**
 * Two builds of `tessera serve` side by side (say, main and a change, or two revisions each
 * built in its own clone), pinned to core 0, loaded in turn with `GET /auth/me` from core 1:
 * the server's CPU time per request (from /proc, Linux) and req/s, medians over interleaved
 * rounds. On a noisy machine a difference between two builds measured at the same time is
 * far steadier than one between two runs of `npm run bench`. Both run at `--log-level` (default
 * `silent`, to compare the code's own work; `info`, the server's default, adds the access line
 * of each request, written to a file in the server's data dir).
 *
 *   node --import tsx bench/compare-builds.ts <cli.js of A> <cli.js of B> [--mode jwt|session] [--rounds 10] [--duration 2] [--log-level silent]
 */

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { mode: { type: 'string', default: 'jwt' }, rounds: { type: 'string', default: '10' }, duration: { type: 'string', default: '2' }, 'log-level': { type: 'string', default: 'silent' } },
});
const mode = values.mode;
const rounds = Number(values.rounds);
const durationS = Number(values.duration);
const logLevel = values['log-level'];
if (positionals.length !== 2 || (mode !== 'jwt' && mode !== 'session') || !(rounds >= 1) || !(durationS >= 1) || !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
  console.error(`usage: node --import tsx bench/compare-builds.ts <cli.js A> <cli.js B> [--mode jwt|session] [--rounds N ≥ 1] [--duration S ≥ 1] [--log-level ${LOG_LEVELS.join('|')}]`);
  process.exit(2);
}

interface Build {
  cli: string;
  child: Child;
  dataDir: string;
  url: string;
  headers: Record<string, string>;
  cpuUs: number[];
  rps: number[];
}

/** User + system CPU time of a process so far, in µs (clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function start(cli: string): Promise<Build> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-compare-'));
  const child = startChild({
    name: cli,
    command: process.execPath,
    args: [...SERVER_NODE_FLAGS, cli, 'serve'],
    env: { PORT: String(port), HOST: '127.0.0.1', TESSERA_DATA_DIR: dataDir, TESSERA_LOG_LEVEL: logLevel },
    core: 0,
    stdoutFile: join(dataDir, 'stdout.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/healthz`);
  const who = await signInBoth(url);
  const headers: Record<string, string> = mode === 'session' ? { cookie: who.sessionCookie } : { authorization: `Bearer ${who.accessToken}` };
  return { cli, child, dataDir, url, headers, cpuUs: [], rps: [] };
}

const builds = [await start(resolve(positionals[0]!)), await start(resolve(positionals[1]!))];
try {
  for (const b of builds) await runLoad({ url: `${b.url}/auth/me`, headers: b.headers, durationS: 2, connections: 32, core: 1 });
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so that drift within a round hits both alike.
    for (const b of round % 2 === 0 ? builds : [...builds].reverse()) {
      const before = cpuMicros(b.child.pid);
      const r = await runLoad({ url: `${b.url}/auth/me`, headers: b.headers, durationS, connections: 32, core: 1 });
      if (r.failures > 0) throw new Error(`${b.cli}: ${r.failures} requests failed`);
      b.cpuUs.push((cpuMicros(b.child.pid) - before) / r.requests);
      b.rps.push(r.rps);
    }
  }
  for (const [name, b] of [['A', builds[0]!], ['B', builds[1]!]] as const) {
    console.log(`${name} ${b.cli}: ${median(b.cpuUs).toFixed(1)} µs CPU per request, ${median(b.rps).toFixed(0)} req/s (GET /auth/me, ${mode}; rounds: ${b.cpuUs.map((u) => u.toFixed(0)).join(' ')})`);
  }
} finally {
  for (const b of builds) {
    await b.child.stop();
    rmSync(b.dataDir, { recursive: true, force: true });
  }
}

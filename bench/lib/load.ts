import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runToEnd } from './children.js';

/**
 * The HTTP load generator: wrk when it is installed (Debian's), autocannon otherwise, each
 * run as its own process pinned to `core`. wrk cannot pace requests, so rate-limited runs
 * (`rate`) always use autocannon.
 */

export interface LoadSpec {
  url: string;
  method?: string;
  headers: Record<string, string>;
  body?: string;
  /** One bearer token per line: each request sends the next one (cycled). */
  tokensFile?: string;
  /** Index of the first token to send (cycled), so consecutive runs do not repeat tokens. */
  tokensOffset?: number;
  /** One request body per line: each request sends the next one (cycled), instead of `body`. */
  bodiesFile?: string;
  durationS: number;
  connections: number;
  /** Requests per second across all connections (autocannon only). */
  rate?: number;
  core?: number;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses that were not 2xx/3xx, plus socket errors and timeouts. */
  failures: number;
}

export type GeneratorName = 'wrk' | 'autocannon';

let wrkAvailable: boolean | undefined;
/** The generator used for unpaced runs. `BENCH_GENERATOR=autocannon` forces the fallback. */
export function generatorName(): GeneratorName {
  if (process.env.BENCH_GENERATOR === 'autocannon') return 'autocannon';
  wrkAvailable ??= spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  return wrkAvailable ? 'wrk' : 'autocannon';
}

const WRK_SCRIPT = fileURLToPath(new URL('../http/wrk.lua', import.meta.url));
const WORKER = fileURLToPath(new URL('../http/autocannon-worker.ts', import.meta.url));

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return spec.rate === undefined && generatorName() === 'wrk' ? runWrk(spec) : runAutocannon(spec);
}

/** wrk takes whole seconds only: durations are rounded (at least 1 s). */
async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const headerArgs = Object.entries(spec.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const out = await runToEnd({
    name: 'wrk',
    command: 'wrk',
    args: ['-t1', `-c${spec.connections}`, `-d${Math.max(1, Math.round(spec.durationS))}s`, '--timeout', '10s', '-s', WRK_SCRIPT, ...headerArgs, spec.url],
    env: {
      BENCH_METHOD: spec.method ?? '',
      BENCH_BODY: spec.body ?? '',
      BENCH_BODIES_FILE: spec.bodiesFile ?? '',
      BENCH_TOKENS_FILE: spec.tokensFile ?? '',
      BENCH_TOKENS_OFFSET: String(spec.tokensOffset ?? 0),
    },
    core: spec.core,
  });
  const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '));
  if (line === undefined) throw new Error(`wrk printed no summary: ${out.slice(-500)}`);
  const r = JSON.parse(line.slice('BENCHJSON '.length)) as Record<string, number>;
  const seconds = r.duration_us! / 1e6;
  return {
    rps: r.requests! / seconds,
    p50Ms: r.p50_us! / 1000,
    p99Ms: r.p99_us! / 1000,
    requests: r.requests!,
    failures: r.status! + r.connect! + r.read! + r.write! + r.timeout!,
  };
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const out = await runToEnd({
    name: 'autocannon',
    command: process.execPath,
    args: ['--import', 'tsx', WORKER],
    env: { BENCH_LOAD: JSON.stringify(spec) },
    core: spec.core,
  });
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`autocannon printed no summary: ${out.slice(-500)}`);
  const r = JSON.parse(line) as { requests: number; durationS: number; p50Ms: number; p99Ms: number; non2xx: number; errors: number };
  return { rps: r.requests / r.durationS, p50Ms: r.p50Ms, p99Ms: r.p99Ms, requests: r.requests, failures: r.non2xx + r.errors };
}

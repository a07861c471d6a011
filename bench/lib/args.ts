import { parseArgs } from 'node:util';

/** The options of `npm run bench` (see bench/README.md). */
export interface BenchArgs {
  /** Tiny durations, 1 round, output to a temp dir, never fails on timings (CI). */
  smoke: boolean;
  only: 'micro' | 'http' | 'all';
  /** Seconds measured per HTTP scenario and round. */
  durationS: number;
  /** Seconds of warm-up per HTTP scenario and round (0: none, the smoke default). */
  warmupS: number;
  rounds: number;
  connections: number;
  /** Where docs/benchmarks.{md,svg} go; bench/results.json goes to `resultsDir`. */
  docsDir: string;
  resultsDir: string;
}

function positive(name: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) throw new Error(`--${name} must be a positive number; got "${raw}".`);
  return value;
}

/** Parses argv; throws an Error with a usage message for a bad flag. */
export function parseBenchArgs(argv: string[], repoRoot: string, tempDir: () => string): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const only = values.only ?? 'all';
  if (only !== 'micro' && only !== 'http' && only !== 'all') throw new Error(`--only must be micro or http; got "${only}".`);
  const smoke = values.smoke === true;
  const out = values.out ?? (smoke ? tempDir() : undefined);
  return {
    smoke,
    only,
    durationS: positive('duration', values.duration, smoke ? 1 : 10),
    warmupS: positive('warmup', values.warmup, smoke ? 0 : 2, true),
    rounds: Math.round(positive('rounds', values.rounds, smoke ? 1 : 3)),
    connections: Math.round(positive('connections', values.connections, 32)),
    docsDir: out ?? `${repoRoot}/docs`,
    resultsDir: out ?? `${repoRoot}/bench`,
  };
}

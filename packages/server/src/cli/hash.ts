/**
 * `tessera hash calibrate`: argon2id parameters for a target hashing time on this machine.
 * It measures the library's own hasher (`createArgon2Hasher`, one operation at a time) at the
 * OWASP floor (m = 19 MiB, t = 2, p = 1: the library's defaults), then raises the time cost,
 * then the memory, while the measured time stays within the target. It never recommends less
 * than the floor: on a machine where the floor already takes longer than the target, the
 * floor is the answer (and the output says so).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createArgon2Hasher } from 'tessera';
import { integerFlag, parseCommand } from './args.js';
import { EXIT, printJson, printLines, printTable, usageError } from './output.js';
import { runSubcommand } from './subcommands.js';

/**
 * Passes are raised up to here, then memory: beyond a few passes memory buys more against
 * GPU and ASIC attackers (RFC 9106 §4 recommends t = 3 with 64 MiB when memory is limited;
 * OWASP's equivalent settings stop at t = 5).
 */
const MAX_TIME_COST = 4;
/** Timed hashes per candidate; the median is kept. */
const RUNS = 3;
const MIB = 1024;

const GROUP_USAGE = `Usage: tessera hash <command> [options]

Commands:
  calibrate [--target-ms 250] [--max-memory-mib 256]   argon2id parameters for a target time

See "tessera hash calibrate --help".`;

const CALIBRATE_USAGE = `Usage: tessera hash calibrate [--target-ms N] [--max-memory-mib N] [--json]

Measures argon2id on this machine, starting at the OWASP floor (m=19 MiB, t=2, p=1), then
raises the time cost (up to t=${MAX_TIME_COST}), then the memory (up to --max-memory-mib), while one hash
stays within the target time. Never recommends less than the floor. Pass the result to
createArgon2Hasher({ memoryKiB, timeCost, parallelism }). Each operation in flight holds
memoryKiB of memory: size --max-memory-mib for the concurrent sign-ins you expect.

  --target-ms N        target time of one hash, ms (default 250, 1 to 10000)
  --max-memory-mib N   memory ceiling, MiB (default 256, 19 to 4096)
  --json               print {"recommended":{memoryKiB, timeCost, parallelism},
                       "measuredMs", "targetMs", "floor":{…, "measuredMs"}, "trials":[…]}`;

interface Params {
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

interface Trial extends Params {
  measuredMs: number;
}

/** The median time of {@link RUNS} hashes with `params`, after one warm-up. */
async function measure(params: Params): Promise<number> {
  const hasher = createArgon2Hasher({ ...params, concurrency: 1 });
  const password = randomBytes(16).toString('base64url');
  await hasher.hash(password);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await hasher.hash(password);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(RUNS / 2)]! * 10) / 10;
}

/**
 * Calibrates: from the floor, the largest time cost (at the floor's memory) within the target,
 * then, if the time cost reached {@link MAX_TIME_COST}, the largest memory within the target.
 * Candidates are estimated from the time being about proportional to m × t, then measured.
 */
export async function calibrate(targetMs: number, maxMemoryKiB: number): Promise<{ floor: Trial; best: Trial; trials: Trial[] }> {
  const floorParams: Params = { ...createArgon2Hasher().params };
  const trials: Trial[] = [];
  const run = async (p: Params): Promise<Trial> => {
    const trial = { ...p, measuredMs: await measure(p) };
    trials.push(trial);
    return trial;
  };
  const floor = await run(floorParams);
  let best = floor;
  if (floor.measuredMs >= targetMs) return { floor, best, trials };

  // Time cost, at the floor's memory.
  const perPass = floor.measuredMs / floor.timeCost;
  let t = Math.min(MAX_TIME_COST, Math.max(floor.timeCost + 1, Math.floor(targetMs / perPass)));
  while (t > best.timeCost) {
    const trial = await run({ ...floorParams, timeCost: t });
    if (trial.measuredMs <= targetMs) {
      best = trial;
      break;
    }
    t = Math.min(t - 1, Math.floor((t * targetMs) / trial.measuredMs));
  }
  if (best.timeCost < MAX_TIME_COST || best.memoryKiB >= maxMemoryKiB) return { floor, best, trials };

  // Memory, at the highest time cost, in whole MiB; an overshoot re-estimates from what it measured.
  const perKiB = best.measuredMs / best.memoryKiB;
  let m = Math.min(maxMemoryKiB, Math.floor(targetMs / perKiB / MIB) * MIB);
  while (m > best.memoryKiB) {
    const trial = await run({ ...best, memoryKiB: m });
    if (trial.measuredMs <= targetMs) {
      best = trial;
      break;
    }
    m = Math.min(m - MIB, Math.floor((m * targetMs) / trial.measuredMs / MIB) * MIB);
  }
  return { floor, best, trials };
}

async function calibrateCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    name: 'hash calibrate',
    usage: CALIBRATE_USAGE,
    options: { 'target-ms': { type: 'string' }, 'max-memory-mib': { type: 'string' } },
  });
  if (!parsed) return EXIT.ok;
  const targetMs = integerFlag(parsed.values, 'target-ms', 1, 10_000) ?? 250;
  const maxMemoryMiB = integerFlag(parsed.values, 'max-memory-mib', 1, 4096) ?? 256;
  const floorMiB = Math.ceil(createArgon2Hasher().params.memoryKiB / MIB);
  if (maxMemoryMiB < floorMiB) throw usageError(`--max-memory-mib must be at least ${floorMiB} (the OWASP floor of ${floorMiB} MiB)`);
  const { floor, best, trials } = await calibrate(targetMs, maxMemoryMiB * MIB);
  const recommended = { memoryKiB: best.memoryKiB, timeCost: best.timeCost, parallelism: best.parallelism };
  const note = floor.measuredMs >= targetMs
    ? `the OWASP floor already takes ${floor.measuredMs} ms here (target ${targetMs} ms): keep the floor, never less`
    : best === floor ? 'no stronger setting fits the target: keep the floor' : undefined;
  if (parsed.json) {
    printJson({ recommended, measuredMs: best.measuredMs, targetMs, floor, trials, ...(note ? { note } : {}) });
    return EXIT.ok;
  }
  printTable(trials, [
    { header: 'MEMORY KiB', value: (r) => String(r.memoryKiB), right: true },
    { header: 't', value: (r) => String(r.timeCost), right: true },
    { header: 'p', value: (r) => String(r.parallelism), right: true },
    { header: 'MS', value: (r) => r.measuredMs.toFixed(1), right: true },
  ]);
  printLines(
    '',
    `Recommended: ${JSON.stringify(recommended)} (${best.measuredMs} ms per hash here, target ${targetMs} ms)`,
    ...(note ? [`Note: ${note}`] : []),
  );
  return EXIT.ok;
}

/** `tessera hash …`. */
export function runHash(argv: string[]): Promise<number> {
  return runSubcommand('hash', argv, GROUP_USAGE, { calibrate: calibrateCommand });
}

/**
 * In-process timing: warm-up, then rounds of a calibrated number of calls, timed with
 * `process.hrtime.bigint()`; the result is the median of the rounds' ns per call.
 */

export interface TimingPlan {
  warmupMs: number;
  rounds: number;
  roundMs: number;
}

export const FULL_TIMING: TimingPlan = { warmupMs: 250, rounds: 9, roundMs: 100 };
export const SMOKE_TIMING: TimingPlan = { warmupMs: 10, rounds: 3, roundMs: 10 };

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Keeps results alive so the optimiser cannot drop the measured call. */
let sink: unknown;
export function consume(value: unknown): void {
  sink = value;
}
export function sinkValue(): unknown {
  return sink;
}

const now = (): bigint => process.hrtime.bigint();

/** Median ns per call of a synchronous function. */
export function timeSync(fn: () => unknown, plan: TimingPlan): number {
  const warmEnd = now() + BigInt(plan.warmupMs * 1e6);
  while (now() < warmEnd) {
    for (let i = 0; i < 16; i++) consume(fn());
  }
  const perRound = calibrate(plan, () => {
    const t0 = now();
    for (let i = 0; i < 64; i++) consume(fn());
    return Number(now() - t0) / 64;
  });
  const samples: number[] = [];
  for (let r = 0; r < plan.rounds; r++) {
    const t0 = now();
    for (let i = 0; i < perRound; i++) consume(fn());
    samples.push(Number(now() - t0) / perRound);
  }
  return median(samples);
}

/** Median ns per call of an async function (called one at a time, awaited). */
export async function timeAsync(fn: () => Promise<unknown>, plan: TimingPlan): Promise<number> {
  const warmEnd = now() + BigInt(plan.warmupMs * 1e6);
  while (now() < warmEnd) {
    for (let i = 0; i < 16; i++) consume(await fn());
  }
  const t0 = now();
  for (let i = 0; i < 64; i++) consume(await fn());
  const estimate = Number(now() - t0) / 64;
  const perRound = calibrate(plan, () => estimate);
  const samples: number[] = [];
  for (let r = 0; r < plan.rounds; r++) {
    const start = now();
    for (let i = 0; i < perRound; i++) consume(await fn());
    samples.push(Number(now() - start) / perRound);
  }
  return median(samples);
}

function calibrate(plan: TimingPlan, nsPerCall: () => number): number {
  const ns = Math.max(1, nsPerCall());
  return Math.max(8, Math.min(5_000_000, Math.round((plan.roundMs * 1e6) / ns)));
}

/** A function to time; `isAsync` ones are awaited one call at a time. */
export interface Candidate {
  id: string;
  fn: () => unknown;
  isAsync?: boolean;
}

/**
 * Median ns per call of each candidate, with rounds interleaved (round r of every candidate,
 * then round r + 1…), so that drift on a busy machine hits all candidates alike.
 */
export async function timeInterleaved(candidates: readonly Candidate[], plan: TimingPlan): Promise<Map<string, number>> {
  const runRound = async (c: Candidate, calls: number): Promise<number> => {
    const t0 = now();
    if (c.isAsync) for (let i = 0; i < calls; i++) consume(await c.fn());
    else for (let i = 0; i < calls; i++) consume(c.fn());
    return Number(now() - t0) / calls;
  };
  const perRound = new Map<string, number>();
  for (const c of candidates) {
    const warmEnd = now() + BigInt(plan.warmupMs * 1e6);
    while (now() < warmEnd) await runRound(c, 16);
    const estimate = await runRound(c, 64);
    perRound.set(c.id, calibrate(plan, () => estimate));
  }
  const samples = new Map<string, number[]>(candidates.map((c) => [c.id, []]));
  for (let r = 0; r < plan.rounds; r++) {
    for (const c of candidates) samples.get(c.id)!.push(await runRound(c, perRound.get(c.id)!));
  }
  return new Map([...samples].map(([id, values]) => [id, median(values)]));
}

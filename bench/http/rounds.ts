import { runLoad } from '../lib/load.js';
import type { LoadResult } from '../lib/load.js';
import { median } from '../lib/timing.js';
import type { Scenario } from './scenarios.js';

/**
 * Interleaved rounds: each round runs every scenario once (bare first), warm-up then
 * measurement, so that drift (thermal, other load) hits all alike; the summary takes medians
 * over rounds, and each ratio is the median of per-round ratios to bare Fastify.
 */

export interface RoundPlan {
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  loadCore: number | undefined;
}

export interface ScenarioSummary {
  id: string;
  label: string;
  group: Scenario['group'];
  credentialBytes: number;
  rounds: LoadResult[];
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Median over rounds of rps / bare rps of the same round. */
  ratioToBare: number;
  /** Share of responses that were not 2xx/3xx (or failed), all rounds together. */
  failureRate: number;
  skipped?: string;
  error?: string;
}

export async function runRounds(scenarios: Scenario[], plan: RoundPlan, beforeRound: () => void, log: (line: string) => void): Promise<ScenarioSummary[]> {
  const runnable = scenarios.filter((s) => s.skipped === undefined && s.error === undefined);
  const results = new Map<string, LoadResult[]>(runnable.map((s) => [s.id, []]));
  const offsets = new Map<string, number>();
  for (let round = 1; round <= plan.rounds; round++) {
    beforeRound();
    for (const s of runnable) {
      const base = { url: s.url, headers: s.headers, connections: plan.connections, core: plan.loadCore, ...(s.tokensFile !== undefined ? { tokensFile: s.tokensFile } : {}) };
      // Token offsets carry on from run to run so no token is sent twice within a cycle.
      const next = (r: LoadResult): void => {
        offsets.set(s.tokensFile ?? s.id, (offsets.get(s.tokensFile ?? s.id) ?? 0) + r.requests + plan.connections);
      };
      if (plan.warmupS > 0) next(await runLoad({ ...base, durationS: plan.warmupS, tokensOffset: offsets.get(s.tokensFile ?? s.id) ?? 0 }));
      const r = await runLoad({ ...base, durationS: plan.durationS, tokensOffset: offsets.get(s.tokensFile ?? s.id) ?? 0 });
      next(r);
      results.get(s.id)!.push(r);
      log(`  round ${round}/${plan.rounds} ${s.label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms${r.failures > 0 ? `, ${r.failures} failed` : ''}`);
    }
  }
  const bare = results.get('bare') ?? [];
  return scenarios.map((s) => {
    const rs = results.get(s.id) ?? [];
    const total = rs.reduce((n, r) => n + r.requests, 0);
    const failed = rs.reduce((n, r) => n + r.failures, 0);
    return {
      id: s.id,
      label: s.label,
      group: s.group,
      credentialBytes: s.credentialBytes,
      rounds: rs,
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      ratioToBare: median(rs.map((r, i) => (bare[i] ? r.rps / bare[i]!.rps : Number.NaN))),
      failureRate: total > 0 ? failed / total : 0,
      ...(s.skipped !== undefined ? { skipped: s.skipped } : {}),
      ...(s.error !== undefined ? { error: s.error } : {}),
    };
  });
}

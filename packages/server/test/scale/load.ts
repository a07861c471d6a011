/**
 * Load loops for the scale-out tests: workers that send one request at a time until stopped,
 * every request recorded with its start, latency, status and Retry-After.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reply } from './harness.js';

export interface Sample {
  label: string;
  /** When the request started (performance.now()). */
  at: number;
  ms: number;
  /** HTTP status, or 0 for a network error or a client timeout. */
  status: number;
  retryAfter: string | undefined;
  error?: string;
}

export interface Load { readonly samples: Sample[]; stop(): Promise<void> }

/**
 * Runs each worker in a loop (one request at a time, `pauseMs` between requests) until
 * `stop()`, recording every request.
 */
export function startLoad(workers: Array<{ label: string; send: () => Promise<Reply> }>, pauseMs = 5): Load {
  const samples: Sample[] = [];
  let running = true;
  const loops = workers.map(async ({ label, send }) => {
    while (running) {
      const at = performance.now();
      try {
        const r = await send();
        samples.push({ label, at, ms: r.ms, status: r.status, retryAfter: r.headers['retry-after'] as string | undefined });
      } catch (error) {
        samples.push({ label, at, ms: performance.now() - at, status: 0, retryAfter: undefined, error: (error as Error).message });
      }
      await sleep(pauseMs);
    }
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** The q-quantile (0..1) of `values` (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

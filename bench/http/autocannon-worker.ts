import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadSpec } from '../lib/load.js';

// The autocannon load generator, run as its own (pinned) process by bench/lib/load.ts.
// Input: the LoadSpec as JSON in BENCH_LOAD. Output: one JSON line on stdout.

const spec = JSON.parse(process.env.BENCH_LOAD ?? '{}') as LoadSpec;
const lines = (file: string | undefined): string[] => (file ? readFileSync(file, 'utf8').split('\n').filter((t) => t.length > 0) : []);
const tokens = lines(spec.tokensFile);
const bodies = lines(spec.bodiesFile);
let next = spec.tokensOffset ?? 0;
let nextBody = 0;

const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationS,
  method: spec.method ?? 'GET',
  headers: spec.headers,
  ...(spec.body !== undefined ? { body: spec.body } : {}),
  ...(spec.rate !== undefined ? { overallRate: spec.rate } : {}),
  timeout: 10,
  ...(bodies.length > 0
    ? { requests: [{ setupRequest: (request) => ({ ...request, body: bodies[nextBody++ % bodies.length] }) }] }
    : {}),
  ...(tokens.length > 0
    ? {
        requests: [
          {
            setupRequest: (request) => {
              const token = tokens[next++ % tokens.length];
              return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
            },
          },
        ],
      }
    : {}),
});

process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    durationS: result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  })}\n`,
);

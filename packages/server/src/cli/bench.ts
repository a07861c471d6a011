/**
 * `tessera bench`: the two modes compared over HTTP on the user's machine. The measuring is
 * `measureModes` (measure-modes.ts), which `POST /admin/bench` also runs; this file reads the
 * flags and prints.
 */
import { measureModes } from '../measure-modes.js';
import { integerFlag, parseCommand } from './args.js';
import { EXIT, printJson, printLines, printTable } from './output.js';

const USAGE = `Usage: tessera bench [--duration S] [--warmup S] [--connections N] [--json]

Compares session mode and JWT mode over HTTP on this machine: starts the server in-process
on a temporary SQLite database (never the configured store), signs in once in each mode, and
loads GET /auth/me with autocannon, first with the session cookie, then with the bearer access
token, each after an unmeasured warm-up. Prints, per mode: requests per second; mean latency
(connections ÷ requests per second, to a fraction of a millisecond); p50 and p99 latency in
whole milliseconds (autocannon's resolution: "<1" is under a millisecond); and the bytes of
the credential header carried by every request. TESSERA_JWT_ALG and the other tuning variables
apply; the store, address, mail and key variables are ignored, and the server logs nothing
(the access line of TESSERA_LOG_LEVEL=info would cost both modes alike).

  --duration S         seconds of load per mode (default 5, 1 to 600)
  --warmup S           seconds of unmeasured load before each mode (default 1, 0 to 60)
  --connections N      concurrent connections (default 10, 1 to 1000)
  --json               print {"durationSeconds","warmupSeconds","connections","endpoint","results":[{mode,
                       requestsPerSecond, meanMs, p50Ms, p99Ms, credentialBytes, requests, errors}]}`;

/** A latency percentile in whole milliseconds, as autocannon records it: 0 is "under 1". */
const wholeMs = (ms: number): string => (ms < 1 ? '<1' : ms.toFixed(0));

/** `tessera bench`. */
export async function runBench(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { name: 'bench', usage: USAGE, options: { duration: { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' } } });
  if (!parsed) return EXIT.ok;
  const durationSeconds = integerFlag(parsed.values, 'duration', 1, 600) ?? 5;
  const warmupSeconds = integerFlag(parsed.values, 'warmup', 0, 60) ?? 1;
  const connections = integerFlag(parsed.values, 'connections', 1, 1000) ?? 10;

  const report = await measureModes({ durationSeconds, warmupSeconds, connections });
  const { results } = report;
  if (parsed.json) printJson(report);
  else {
    printLines(`GET /auth/me, ${connections} connection${connections === 1 ? '' : 's'}, ${durationSeconds} s per mode after ${warmupSeconds} s of warm-up (server and load generator on this machine):`, '');
    printTable(results, [
      { header: 'MODE', value: (r) => r.mode },
      { header: 'REQ/S', value: (r) => r.requestsPerSecond.toFixed(0), right: true },
      { header: 'MEAN MS', value: (r) => r.meanMs.toFixed(2), right: true },
      { header: 'P50 MS', value: (r) => wholeMs(r.p50Ms), right: true },
      { header: 'P99 MS', value: (r) => wholeMs(r.p99Ms), right: true },
      { header: 'CREDENTIAL BYTES', value: (r) => String(r.credentialBytes), right: true },
      { header: 'ERRORS', value: (r) => String(r.errors), right: true },
    ]);
  }
  return results.some((r) => r.requests === 0) ? EXIT.failure : EXIT.ok;
}

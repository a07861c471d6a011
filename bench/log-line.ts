import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Logger } from 'pino';
import { serverLogger } from './lib/built.js';
import { median } from './lib/timing.js';

const { REDACT_PATHS, createAccessLogger, createLogger } = await serverLogger();

/**
 * `npm run bench:log-line`: the time of one log line of `tessera serve`, written to a file,
 * through each logger it has: the redacting logger (Tessera's secret field names censored up
 * to three objects deep), the same with the censoring cut to fewer levels, and the access
 * logger (no redaction), which writes the one line per request. In-process, median of rounds.
 *
 *   npm run bench:log-line -- [--lines 50000] [--rounds 5]
 */

const { values } = parseArgs({ options: { lines: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '5' } } });
const lines = Number(values.lines);
const rounds = Number(values.rounds);
if (!(lines >= 1000) || !(rounds >= 1)) {
  console.error('usage: npm run bench:log-line -- [--lines N ≥ 1000] [--rounds N ≥ 1]');
  process.exit(2);
}

/** What the access line of a request holds. */
const accessFields = (): Record<string, unknown> => ({
  reqId: 'req-1',
  req: { method: 'GET', url: '/auth/me', remoteAddress: '127.0.0.1' },
  res: { statusCode: 200 },
  responseTime: 0.5,
});

function microsPerLine(log: Logger): number {
  for (let i = 0; i < lines / 10; i++) log.info(accessFields(), 'request completed');
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < lines; i++) log.info(accessFields(), 'request completed');
    times.push(Number(process.hrtime.bigint() - start) / lines / 1000);
  }
  return median(times);
}

/** REDACT_PATHS holds each name at depths 0 to 3: `name`, `*.name`, `*.*.name`, `*.*.*.name`. */
const depthOf = (path: string): number => path.split('*').length - 1;

const dir = mkdtempSync(join(tmpdir(), 'tessera-log-line-'));
try {
  const destination = pino.destination({ dest: join(dir, 'log'), sync: true });
  const rows: Array<[string, Logger]> = [
    ['tessera serve, redacting logger (secret names censored 0–3 objects deep)', createLogger({ level: 'info', destination })],
    ...[2, 1, 0].map((depth): [string, Logger] => [
      `  the same, censored 0–${depth} objects deep`,
      pino({ level: 'info', redact: { paths: REDACT_PATHS.filter((p) => depthOf(p) <= depth), censor: '[redacted]' } }, destination),
    ]),
    ['tessera serve, access logger (no redaction): the line per request', createAccessLogger({ level: 'info', destination })],
  ];
  console.log(`| logger | µs per line (median of ${rounds} rounds of ${lines} lines, to a file) |`);
  console.log('|---|---:|');
  for (const [label, log] of rows) console.log(`| ${label} | ${microsPerLine(log).toFixed(2)} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

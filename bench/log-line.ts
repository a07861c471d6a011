import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Logger } from 'pino';
import { accessLog, serverLogger } from './lib/built.js';
import { median } from './lib/timing.js';

const { REDACT_PATHS, createLogger } = await serverLogger();
const { AccessLog } = await accessLog();

/**
 * `npm run bench:log-line`: the time of one log line of `tessera serve`, written to a file,
 * through each logger it has: the redacting logger (Tessera's secret field names censored up
 * to three objects deep), the same with the censoring cut to fewer levels, pino without
 * redaction (how the access line was written until session 12), and the access log
 * (access-log.ts), which writes the one line per request and hands a turn's lines to the
 * stream at once (here: after each line, or after each 32). In-process, median of rounds.
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
const accessFields = () => ({
  reqId: 'req-1',
  req: { method: 'GET', url: '/auth/me', remoteAddress: '127.0.0.1' },
  res: { statusCode: 200 },
  responseTime: 0.5,
});

/** A way of writing the access line. */
type WriteLine = () => void;

const throughPino = (log: Logger): WriteLine => () => log.info(accessFields(), 'request completed');

function microsPerLine(writeLine: WriteLine): number {
  for (let i = 0; i < lines / 10; i++) writeLine();
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < lines; i++) writeLine();
    times.push(Number(process.hrtime.bigint() - start) / lines / 1000);
  }
  return median(times);
}

/** REDACT_PATHS holds each name at depths 0 to 3: `name`, `*.name`, `*.*.name`, `*.*.*.name`. */
const depthOf = (path: string): number => path.split('*').length - 1;

const dir = mkdtempSync(join(tmpdir(), 'tessera-log-line-'));
try {
  const destination = pino.destination({ dest: join(dir, 'log'), sync: true });
  const access = new AccessLog('info', destination);
  const rows: Array<[string, WriteLine]> = [
    ['tessera serve, redacting logger (secret names censored 0–3 objects deep)', throughPino(createLogger({ level: 'info', destination }))],
    ...[2, 1, 0].map((depth): [string, WriteLine] => [
      `  the same, censored 0–${depth} objects deep`,
      throughPino(pino({ level: 'info', redact: { paths: REDACT_PATHS.filter((p) => depthOf(p) <= depth), censor: '[redacted]' } }, destination)),
    ]),
    ['pino without redaction (the access line until session 12)', throughPino(pino({ level: 'info' }, destination))],
    ...[1, 32].map((perWrite): [string, WriteLine] => {
      let written = 0;
      return [`tessera serve, access log: the line per request, ${perWrite === 1 ? 'one line' : `${perWrite} lines (a busy event-loop turn)`} per write`, () => {
        const { reqId, req, res, responseTime } = accessFields();
        access.write({ reqId, req, statusCode: res.statusCode, responseTime });
        if (++written % perWrite === 0) access.flush();
      }];
    }),
  ];
  console.log(`| logger | µs per line (median of ${rounds} rounds of ${lines} lines, to a file) |`);
  console.log('|---|---:|');
  for (const [label, writeLine] of rows) console.log(`| ${label} | ${microsPerLine(writeLine).toFixed(2)} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

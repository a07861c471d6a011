import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { AccessLog, jsonString } from '../src/access-log.js';
import type { AccessLine } from '../src/access-log.js';
import { LOG_LEVELS } from '../src/config.js';

/** A destination that keeps every write. */
function capture(): { stream: { write(line: string): void }; writes: string[] } {
  const writes: string[] = [];
  return { stream: { write: (line: string) => void writes.push(line) }, writes };
}

/** The line pino writes for the same fields, as Tessera's access logger wrote it until now. */
function pinoLine(line: AccessLine): string {
  const out = capture();
  pino({ level: 'info' }, out.stream).info({ reqId: line.reqId, req: line.req, res: { statusCode: line.statusCode }, responseTime: line.responseTime }, 'request completed');
  return out.writes.join('');
}

function accessLine(line: AccessLine): string {
  const out = capture();
  const log = new AccessLog('info', out.stream);
  log.write(line);
  log.flush();
  assert.equal(out.writes.length, 1);
  return out.writes[0]!;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The two lines with their times (taken a moment apart) set equal. */
const sameTime = (line: string): string => line.replace(/^\{"level":30,"time":\d+,/, '{"level":30,"time":0,');

const typical: AccessLine = { reqId: 'req-1a', req: { method: 'GET', url: '/auth/me', remoteAddress: '127.0.0.1' }, statusCode: 200, responseTime: 0.4523190003633499 };

test('AccessLog writes the bytes pino writes for the same fields', () => {
  const ours = accessLine(typical);
  assert.equal(sameTime(ours), sameTime(pinoLine(typical)));
  const parsed = JSON.parse(ours) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['level', 'time', 'pid', 'hostname', 'reqId', 'req', 'res', 'responseTime', 'msg']);
  assert.equal(parsed.pid, process.pid);
  assert.ok(Math.abs((parsed.time as number) - Date.now()) < 5000);
  assert.ok(ours.endsWith('}\n'));
});

test('AccessLog: strings that need escaping give pino’s bytes, and every line parses back to its fields', () => {
  const hostile = [
    '/a"b', '/a\\b', '/\u0000\u001f', '/line\nbreak', '/tab\there', '/é/ü/日本', '/emoji/😀', '/del\u007f', '/\u2028\u2029',
    '', '"', '\\', '/' + 'x'.repeat(300), '/mixed"\\\n\u0001é',
    // Attempts to forge a field or a second line.
    '/x","res":{"statusCode":500},"msg":"forged', '/x\n{"level":60,"msg":"forged"}', '/x\r\n',
  ];
  for (const s of hostile) {
    const line: AccessLine = { reqId: s, req: { method: s, url: s, remoteAddress: s }, statusCode: 404, responseTime: 12 };
    const ours = accessLine(line);
    assert.equal(sameTime(ours), sameTime(pinoLine(line)), `for ${JSON.stringify(s)}`);
    assert.equal(ours.indexOf('\n'), ours.length - 1, `one line for ${JSON.stringify(s)}`);
    const parsed = JSON.parse(ours) as { reqId: string; req: Record<string, string> };
    assert.deepEqual([parsed.reqId, parsed.req.method, parsed.req.url, parsed.req.remoteAddress], [s, s, s, s]);
  }
  // Random strings of every code unit: each parses back to itself (pino's own escaper would pass
  // a lone surrogate raw, which is not well-formed; JSON.stringify escapes it).
  for (let i = 0; i < 500; i++) {
    const units = randomBytes(2 * (1 + (i % 40)));
    const s = String.fromCharCode(...Array.from({ length: units.length / 2 }, (_, k) => units.readUInt16LE(2 * k) >> (i % 2 === 0 ? 9 : 0)));
    const parsed = JSON.parse(accessLine({ ...typical, req: { ...typical.req, url: s } })) as { req: { url: string } };
    assert.equal(parsed.req.url, s);
  }
});

test('AccessLog: a lone surrogate is escaped, so the line is well-formed UTF-8', () => {
  const ours = accessLine({ ...typical, req: { ...typical.req, url: '/a\ud800b' } });
  assert.ok(ours.includes('"url":"/a\\ud800b"'), ours);
  assert.equal(Buffer.from(ours, 'utf8').toString('utf8'), ours);
});

test('AccessLog: an undefined request field is left out, as pino leaves it; a non-finite number is null', () => {
  const partial: AccessLine = { reqId: 'req-2', req: { method: undefined, url: '/x', remoteAddress: undefined }, statusCode: 200, responseTime: 1 };
  assert.equal(sameTime(accessLine(partial)), sameTime(pinoLine(partial)));
  const none: AccessLine = { reqId: 'req-3', req: { method: undefined, url: undefined, remoteAddress: undefined }, statusCode: 200, responseTime: Number.NaN };
  assert.equal(sameTime(accessLine(none)), sameTime(pinoLine(none)));
  assert.deepEqual(JSON.parse(accessLine(none)).req, {});
  assert.equal(JSON.parse(accessLine(none)).responseTime, null);
  const onlyAddress: AccessLine = { reqId: 'req-4', req: { method: undefined, url: undefined, remoteAddress: '::1' }, statusCode: 200, responseTime: 2 };
  assert.equal(sameTime(accessLine(onlyAddress)), sameTime(pinoLine(onlyAddress)));
});

test('AccessLog hands the lines of one event-loop turn to the stream in one write, at the end of the turn', async () => {
  const out = capture();
  const log = new AccessLog('info', out.stream);
  for (const reqId of ['req-1', 'req-2', 'req-3']) log.write({ ...typical, reqId });
  assert.equal(out.writes.length, 0, 'not before the turn ends');
  await nextTurn();
  assert.equal(out.writes.length, 1);
  const lines = out.writes[0]!.split('\n');
  assert.equal(lines.pop(), '', 'whole lines only');
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { reqId: string }).reqId), ['req-1', 'req-2', 'req-3']);
  // The next turn's lines are a write of their own.
  log.write({ ...typical, reqId: 'req-4' });
  await nextTurn();
  assert.equal(out.writes.length, 2);
  assert.equal((JSON.parse(out.writes[1]!) as { reqId: string }).reqId, 'req-4');
});

test('AccessLog.flush hands the pending lines over at once, and writes nothing when none are pending', async () => {
  const out = capture();
  const log = new AccessLog('info', out.stream);
  log.flush();
  assert.equal(out.writes.length, 0);
  log.write(typical);
  log.flush();
  assert.equal(out.writes.length, 1);
  await nextTurn();
  assert.equal(out.writes.length, 1, 'the end of the turn finds nothing left to write');
});

test('AccessLog writes at info and below, and nothing above info or when silent', async () => {
  for (const level of LOG_LEVELS) {
    const out = capture();
    const log = new AccessLog(level, out.stream);
    log.write(typical);
    await nextTurn();
    const expected = pino({ level }).isLevelEnabled('info');
    assert.equal(log.enabled, expected, level);
    assert.equal(out.writes.length, expected ? 1 : 0, level);
  }
});

test('jsonString: plain ASCII is quoted as is, anything else is JSON.stringify', () => {
  for (const s of ['', 'GET', '/auth/me', '127.0.0.1', '::ffff:10.0.0.1', 'req-zz', ' !#$%&()*+,-./09:;<=>?@AZ[]^_`az{|}~']) assert.equal(jsonString(s), `"${s}"`);
  for (let code = 0; code < 0x800; code++) {
    const s = `a${String.fromCharCode(code)}b`;
    assert.equal(jsonString(s), JSON.stringify(s), `code ${code}`);
  }
});

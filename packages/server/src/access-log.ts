/**
 * The access line of each request, written straight to the log stream in the shape pino
 * writes it: `{"level":30,"time":…,"pid":…,"hostname":…,"reqId":…,"req":{"method":…,"url":…,
 * "remoteAddress":…},"res":{"statusCode":…},"responseTime":…,"msg":"request completed"}`.
 *
 * Why not through pino: pino builds a line for any object (a walk over its keys, a
 * `JSON.stringify` per nested object), which is what its other lines need but costs an access
 * line about 28,000 instructions, the dearest single part of a request answered from memory
 * (`npm run bench:instructions` with and without the line: 117,700 against 89,800 on
 * `tessera serve`'s seen-token row; `npm run bench:log-line`). This line has a fixed shape and
 * only fields that cannot hold a secret, so it is joined from its parts. It goes to the same
 * stream as pino's lines (sonic-boom's), whole lines per `write`, so lines never interleave.
 * test/access-log.test.ts holds it to pino's bytes, field for field, for hostile strings too.
 *
 * The lines of one event-loop turn are handed to the stream in one `write`, at the end of the
 * turn (`setImmediate`): each `write` costs sonic-boom's bookkeeping and a trip to libuv's thread
 * pool. With a `write` per line the server spent 1.2 to 3.7 µs more CPU per request (seen-token
 * `GET /auth/me`, `bench/compare-builds.ts --log-level info`, three runs of 8 to 10 rounds; about
 * 34.5 against 33 µs), and not writing the line at all saved about 5.5 µs. A line so waits
 * for the end of its turn at most; a process that dies in the middle of a turn loses that
 * turn's lines, where pino's own asynchronous stream would have held them a moment longer.
 * {@link AccessLog.flush} hands them over at once (the server calls it when it closes).
 */
import { hostname } from 'node:os';
import pino from 'pino';
import type { DestinationStream } from 'pino';
import type { LogLevel } from './config.js';
import type { LoggedRequest } from './logger.js';

/** pino's number for `info`: a line is written when the logger's level is at most this. */
const INFO = pino.levels.values.info!;

/** Printable ASCII without `"` and `\`: such a string is its own JSON body. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A string as JSON. `JSON.stringify` costs about 900 instructions a call, and the strings of an
 * access line (method, path, address, request id) are nearly always plain ASCII, for which the
 * quotes alone are the answer. Anything else takes `JSON.stringify`, whose output is always
 * well-formed (lone surrogates escaped), where pino's own string escaper would pass them raw.
 */
export function jsonString(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** What one access line records (the fields of {@link LoggedRequest}, the status, the duration). */
export interface AccessLine {
  reqId: string;
  req: LoggedRequest;
  statusCode: number;
  /** Milliseconds from the request's arrival to the response's end. */
  responseTime: number;
}

/** A JSON number as `JSON.stringify` writes it: a non-finite one is `null`. */
const jsonNumber = (value: number): string => (Number.isFinite(value) ? `${value}` : 'null');

/** Writes access lines at level `info` to a pino destination, when the level lets them through, a turn's lines at once. */
export class AccessLog {
  /** Whether a line is written at all (the level is `info` or below). */
  readonly enabled: boolean;
  readonly #destination: DestinationStream;
  /** `,"pid":…,"hostname":…`, pino's default bindings, fixed for the process. */
  readonly #bindings: string;
  /** The lines of this event-loop turn, not yet handed to the stream. */
  #pending = '';
  readonly #flushAtTurnEnd = (): void => this.flush();

  constructor(level: LogLevel, destination: DestinationStream) {
    this.enabled = level !== 'silent' && pino.levels.values[level]! <= INFO;
    this.#destination = destination;
    this.#bindings = `,"pid":${process.pid},"hostname":${jsonString(hostname())}`;
  }

  write(line: AccessLine): void {
    if (!this.enabled) return;
    const { method, url, remoteAddress } = line.req;
    // A field pino would drop (undefined: say the socket closed before the line) is left out too.
    let req = '';
    if (method !== undefined) req = `"method":${jsonString(method)}`;
    if (url !== undefined) req += `${req === '' ? '' : ','}"url":${jsonString(url)}`;
    if (remoteAddress !== undefined) req += `${req === '' ? '' : ','}"remoteAddress":${jsonString(remoteAddress)}`;
    if (this.#pending === '') setImmediate(this.#flushAtTurnEnd);
    this.#pending += `{"level":${INFO},"time":${Date.now()}${this.#bindings},"reqId":${jsonString(line.reqId)},"req":{${req}},"res":{"statusCode":${jsonNumber(line.statusCode)}},"responseTime":${jsonNumber(line.responseTime)},"msg":"request completed"}\n`;
  }

  /** Hands the lines written so far to the stream now, rather than at the end of this turn. */
  flush(): void {
    const lines = this.#pending;
    if (lines === '') return;
    this.#pending = '';
    this.#destination.write(lines);
  }
}

/**
 * Slow clients: a connection must not be held open by a client that sends or reads slowly, or
 * not at all (docs/security.md, "Slow clients"). The server runs with short timeouts here
 * (`httpTimeouts`), so each attack is seen to end in about a second; the last test checks
 * that a server built with the defaults has the production values.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HTTP_TIMEOUTS } from '../../src/app.js';
import { startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

const TIMEOUTS = { headersMs: 300, requestMs: 700, checkIntervalMs: 100, idleMs: 900, keepAliveMs: 400 } as const;
/** Scheduling slack on a loaded 2-core machine: a deadline may be met this much late. */
const SLACK_MS = 2_000;

let s: TestServer;
let port: number;

before(async () => {
  s = await startTestServer({ httpTimeouts: TIMEOUTS });
  await s.app.listen({ port: 0, host: '127.0.0.1' });
  port = (s.app.server.address() as AddressInfo).port;
});

after(async () => {
  await s.dispose();
});

/** What a raw connection saw: the bytes the server sent, and when it closed (ms after connect). */
interface Seen {
  text: string;
  closedAfterMs: number;
}

/**
 * Opens a connection, hands it to `drive` (which writes what the attack writes) and resolves
 * when the server closes it; fails if it is still open after `limitMs`.
 */
function attack(drive: (socket: Socket) => void, limitMs: number): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let startedAt = 0;
    const limit = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${limitMs} ms`));
    }, limitMs);
    socket.on('connect', () => {
      startedAt = performance.now();
      drive(socket);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset is a close, seen below
    socket.on('close', () => {
      clearTimeout(limit);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedAfterMs: performance.now() - startedAt });
    });
  });
}

/** Writes `piece` every `everyMs` until the connection closes. */
function drip(socket: Socket, piece: string, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.writable) socket.write(piece);
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

function assertRefusedLate(seen: Seen): void {
  const [head, body] = seen.text.split('\r\n\r\n');
  assert.match(head!, /^HTTP\/1\.1 400 /);
  assert.match(head!, /\r\nconnection: close/i);
  assert.match(head!, /\r\nx-content-type-options: nosniff/i);
  assert.deepEqual(JSON.parse(body!), { error: { code: 'invalid_request', message: 'The request did not arrive in time.' } });
}

async function assertServes(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

test('headers sent a line at a time, never finished (slowloris): 400 and closed at the headers deadline', async () => {
  const seen = await attack((socket) => {
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    drip(socket, 'X-Drip: 1\r\n', 50);
  }, TIMEOUTS.headersMs + TIMEOUTS.checkIntervalMs + SLACK_MS);
  assert.ok(seen.closedAfterMs >= TIMEOUTS.headersMs - 50, `closed after ${seen.closedAfterMs} ms, before the deadline`);
  assertRefusedLate(seen);
  await assertServes();
});

test('a body that trickles in a byte at a time: 400 and closed at the request deadline, no 500', async () => {
  const body = JSON.stringify({ email: 'slow@example.com', password: 'x'.repeat(200) });
  const seen = await attack((socket) => {
    socket.write(`POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 1)}`);
    drip(socket, 'x', 50);
  }, TIMEOUTS.requestMs + TIMEOUTS.checkIntervalMs + SLACK_MS);
  assert.ok(seen.closedAfterMs >= TIMEOUTS.requestMs - 50, `closed after ${seen.closedAfterMs} ms, before the deadline`);
  assertRefusedLate(seen);
  await assertServes();
  assert.doesNotMatch(s.logText(), /"level":50/, 'an error was logged');
});

test('a connection that never sends a byte is closed at the headers deadline', async () => {
  const seen = await attack(() => {}, TIMEOUTS.headersMs + TIMEOUTS.checkIntervalMs + SLACK_MS);
  assert.ok(seen.closedAfterMs >= TIMEOUTS.headersMs - 50, `closed after ${seen.closedAfterMs} ms, before the deadline`);
  await assertServes();
});

test('a kept-alive connection with no next request is closed after the keep-alive timeout', async () => {
  const seen = await attack((socket) => {
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  }, TIMEOUTS.keepAliveMs + 1_000 + SLACK_MS); // Node adds 1 s to what it advertises
  assert.match(seen.text, /^HTTP\/1\.1 200 /);
  assert.match(seen.text, /\r\nkeep-alive: timeout=0\r\n/i);
  await assertServes();
});

test('a client that stops reading in the middle of its responses is disconnected after the idle timeout', async () => {
  // Pipelined requests for the 24 KB page, never read: the server's writes stall once the
  // socket buffers are full, and nothing moves on the connection from then on.
  const accepted = new Promise<Socket>((resolve) => s.app.server.once('connection', resolve));
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.pause();
  const serverSide = await accepted;
  const startedAt = performance.now();
  const closed = new Promise<number>((resolve) => serverSide.on('close', () => resolve(performance.now() - startedAt)));
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(4_000));
  const closedAfterMs = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(resolve, TIMEOUTS.idleMs + SLACK_MS * 2, -1))]);
  const unread = socket.readableLength;
  socket.destroy();
  assert.notEqual(closedAfterMs, -1, `the connection was still open after ${TIMEOUTS.idleMs + SLACK_MS * 2} ms`);
  assert.ok(closedAfterMs >= TIMEOUTS.idleMs - 50, `closed after ${closedAfterMs} ms, before the idle timeout`);
  assert.equal(unread, 0, 'the client read nothing: its socket was paused');
  assert.ok(serverSide.bytesWritten > 1_000_000, `the server wrote only ${serverSide.bytesWritten} bytes: the writes never stalled`);
  await assertServes();
});

test('a server built with the defaults has the production timeouts', async () => {
  const d = await startTestServer();
  try {
    await d.app.ready();
    assert.equal(d.app.server.headersTimeout, HTTP_TIMEOUTS.headersMs);
    assert.equal(d.app.server.requestTimeout, HTTP_TIMEOUTS.requestMs);
    assert.equal(d.app.server.timeout, HTTP_TIMEOUTS.idleMs);
    assert.equal(d.app.server.keepAliveTimeout, HTTP_TIMEOUTS.keepAliveMs);
    assert.deepEqual({ ...HTTP_TIMEOUTS }, { headersMs: 10_000, requestMs: 30_000, checkIntervalMs: 5_000, idleMs: 60_000, keepAliveMs: 72_000 });
  } finally {
    await d.dispose();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { AccessLog } from '../src/access-log.js';
import { REDACTED, TesseraLogController, createLogger, fastifyLoggerOptions, loggablePath, serializeRequest, serializeResponse } from '../src/logger.js';
import { withLazyChildren } from '../src/lazy-logger.js';

/** A pino destination that keeps every line. */
function capture(): { stream: { write(line: string): void }; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: { write: (line: string) => void chunks.push(line) },
    text: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SECRETS = {
  password: 'S3cret-password-top',
  currentPassword: 'S3cret-current-pw',
  newPassword: 'S3cret-new-pw',
  refreshToken: 'S3cret-refresh-token',
  accessToken: 'S3cret-access-token',
  token: 'S3cret-plain-token',
  secret: 'S3cret-secret-value',
};

test('createLogger censors every secret field, at any depth up to three objects, and in arrays', () => {
  const out = capture();
  const log = createLogger({ level: 'info', destination: out.stream });
  log.info({
    ...SECRETS,
    body: { password: 'S3cret-body-pw', refreshToken: 'S3cret-body-rt' },
    req: {
      headers: { authorization: 'Bearer S3cret-bearer', cookie: '__Host-tessera_session=S3cret-cookie' },
      body: { currentPassword: 'S3cret-req-body-pw', newPassword: 'S3cret-req-body-new' },
    },
    res: { headers: { 'set-cookie': ['__Host-tessera_session=S3cret-set-cookie; HttpOnly'] } },
    deep: { a: { b: { secret: 'S3cret-depth-3' } } },
    list: [{ accessToken: 'S3cret-in-array' }],
    keep: 'visible-value',
  }, 'sign-in');
  log.child({ token: 'S3cret-child-binding' }).warn({ input: { token: 'S3cret-child-obj' } }, 'child');
  const text = out.text();
  assert.ok(!/S3cret/.test(text), `a secret leaked: ${text}`);
  assert.ok(text.includes('visible-value'));
  const [first] = out.lines();
  assert.equal(first!.password, REDACTED);
  assert.deepEqual((first!.body as Record<string, unknown>).password, REDACTED);
});

test('a logged Error with a secret property is censored too', () => {
  const out = capture();
  const log = createLogger({ level: 'info', destination: out.stream });
  const error = Object.assign(new Error('boom'), { password: 'S3cret-on-error' });
  log.error({ err: error }, 'failed');
  log.error(error);
  assert.ok(!out.text().includes('S3cret'));
  assert.ok(out.text().includes('boom'));
});

/** A logger whose pino children are counted as they are made (by pino's own `child`). */
function countedLogger(level: 'info' | 'warn') {
  const out = capture();
  const log = createLogger({ level, destination: out.stream });
  const pinoChild = log.child;
  let count = 0;
  log.child = function (this: typeof log, ...args: Parameters<typeof log.child>) {
    count++;
    return pinoChild.apply(this, args);
  } as typeof log.child;
  return { out, log, made: () => count };
}

test('withLazyChildren: a child becomes a pino child on its first line written, with its bindings and the redaction', () => {
  const { out, log, made } = countedLogger('info');
  withLazyChildren(log);
  const request = log.child({ reqId: 'req-7' });
  request.debug('below the level');
  assert.equal(request.isLevelEnabled('debug'), false);
  assert.equal(made(), 0, 'nothing written: no pino child made');
  request.info({ password: SECRETS.password }, 'first line');
  request.warn('second line');
  assert.equal(made(), 1, 'one pino child, made once');
  log.info('from the root');
  const lines = out.lines();
  assert.deepEqual(lines.map((l) => [l.msg, l.reqId]), [['first line', 'req-7'], ['second line', 'req-7'], ['from the root', undefined]]);
  assert.equal(lines[0]!.password, REDACTED);
  assert.ok(!out.text().includes(SECRETS.password));
  // Descendants are lazy too, and keep every binding above them.
  const nested = request.child({ component: 'x' }).child({ step: 2 });
  assert.equal(made(), 2, 'the grandchild is not made until it writes');
  nested.info('nested');
  assert.equal(made(), 3);
  assert.deepEqual(out.lines().at(-1), { ...out.lines().at(-1), msg: 'nested', reqId: 'req-7', component: 'x', step: 2 });
});

test('withLazyChildren in Fastify: requests that write no line make no pino child; one that writes gets its request id', async () => {
  const { out, log, made } = countedLogger('warn');
  const app = Fastify({ loggerInstance: withLazyChildren(log) });
  app.get('/quiet', async () => ({ ok: true }));
  app.get('/loud', async (request) => {
    request.log.warn('something to say');
    return { ok: true };
  });
  await app.ready();
  // The first request may make the one child Fastify keeps for its routes' scope.
  await app.inject({ method: 'GET', url: '/quiet' });
  const before = made();
  for (let i = 0; i < 10; i++) assert.equal((await app.inject({ method: 'GET', url: '/quiet' })).statusCode, 200);
  assert.equal(made(), before, 'ten requests below the level: no pino child');
  await app.inject({ method: 'GET', url: '/loud' });
  assert.equal(made(), before + 1);
  const line = out.lines().find((l) => l.msg === 'something to say');
  assert.equal(typeof line?.reqId, 'string');
  await app.close();
});

test('the level is honoured; silent logs nothing', () => {
  const out = capture();
  const log = createLogger({ level: 'warn', destination: out.stream });
  log.info('hidden');
  log.warn('shown');
  assert.deepEqual(out.lines().map((l) => l.msg), ['shown']);
  const quiet = capture();
  createLogger({ level: 'silent', destination: quiet.stream }).fatal('nothing');
  assert.equal(quiet.text(), '');
});

test('serializers: method, path without query string, remote address; status only', () => {
  assert.equal(loggablePath('/auth/refresh?token=S3cret#frag'), '/auth/refresh');
  assert.equal(loggablePath('/a#b?c'), '/a');
  assert.equal(loggablePath('/plain'), '/plain');
  assert.equal(loggablePath(undefined), undefined);
  assert.ok(loggablePath(`/${'x'.repeat(5000)}`)!.length < 2100);
  assert.deepEqual(
    serializeRequest({ method: 'POST', url: '/auth/login?x=1', ip: '203.0.113.9', headers: { authorization: 'Bearer S3cret' } }),
    { method: 'POST', url: '/auth/login', remoteAddress: '203.0.113.9' },
  );
  assert.deepEqual(serializeRequest({ method: 'GET', url: '/', socket: { remoteAddress: '::1' } }), { method: 'GET', url: '/', remoteAddress: '::1' });
  assert.deepEqual(serializeRequest(null), { method: undefined, url: undefined, remoteAddress: undefined });
  assert.deepEqual(serializeResponse({ statusCode: 204, headers: { 'set-cookie': 'S3cret' } }), { statusCode: 204 });
  const out = capture();
  createLogger({ level: 'info', destination: out.stream }).info({ req: { method: 'GET', url: '/x?access_token=S3cret', headers: { cookie: 'S3cret' } } });
  assert.ok(!out.text().includes('S3cret'));
});

/** POST /auth/login with a secret in the query string, the Authorization and Cookie headers and the body. */
function postLoginWithSecrets(app: ReturnType<typeof Fastify>) {
  return app.inject({
    method: 'POST',
    url: '/auth/login?token=S3cret-query-token&x=1',
    headers: { authorization: 'Bearer S3cret-bearer', cookie: 'tessera_session=S3cret-cookie', 'content-type': 'application/json' },
    payload: JSON.stringify({ email: 'a@example.com', password: 'S3cret-password' }),
  });
}

test('Fastify with fastifyLoggerOptions: no query string, header, cookie or body secret in its logs', async () => {
  const out = capture();
  const app = Fastify({ logger: fastifyLoggerOptions('info', out.stream) });
  app.post('/auth/login', async (request, reply) => {
    request.log.info({ body: request.body }, 'login body');
    void reply.header('set-cookie', '__Host-tessera_session=S3cret-set-cookie; Path=/; HttpOnly; Secure');
    return { ok: true };
  });
  try {
    assert.equal((await postLoginWithSecrets(app)).statusCode, 200);
  } finally {
    await app.close();
  }
  const text = out.text();
  assert.ok(!text.includes('S3cret'), `a secret leaked: ${text}`);
  const lines = out.lines();
  const incoming = lines.find((l) => l.msg === 'incoming request');
  assert.deepEqual(incoming?.req, { method: 'POST', url: '/auth/login', remoteAddress: '127.0.0.1' });
  const completed = lines.find((l) => l.msg === 'request completed');
  assert.deepEqual(completed?.res, { statusCode: 200 });
  assert.ok(text.includes('a@example.com'), 'non-secret fields stay');
});

test('fastifyLoggerOptions without a stream has none', () => {
  const opts = fastifyLoggerOptions('debug');
  assert.equal(opts.level, 'debug');
  assert.equal('stream' in opts, false);
  assert.ok(opts.redact.paths.includes('req.headers.authorization'));
  assert.ok(opts.redact.paths.includes('res.headers["set-cookie"]'));
});

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Fastify with Tessera's logger and log controller, both writing to `out`. */
function loggedApp(level: 'info' | 'warn', out: ReturnType<typeof capture>) {
  const options = { level, destination: out.stream };
  return Fastify({ loggerInstance: withLazyChildren(createLogger(options)), logController: new TesseraLogController(new AccessLog(level, out.stream)) });
}

test('TesseraLogController: one access line per request, on completion, with no query string, header or body', async () => {
  const out = capture();
  const app = loggedApp('info', out);
  app.post('/auth/login', async () => ({ ok: true }));
  try {
    assert.equal((await postLoginWithSecrets(app)).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/nowhere?access_token=S3cret-404-token' })).statusCode, 404);
  } finally {
    await app.close();
  }
  // Access lines reach the stream at the end of the event-loop turn (access-log.ts).
  await nextTurn();
  const text = out.text();
  assert.ok(!text.includes('S3cret'), `a secret leaked: ${text}`);
  const lines = out.lines().filter((l) => l.reqId !== undefined);
  assert.deepEqual(lines.map((l) => [l.msg, l.req, l.res]), [
    ['request completed', { method: 'POST', url: '/auth/login', remoteAddress: '127.0.0.1' }, { statusCode: 200 }],
    // An unmatched route: its access line only, not Fastify's "Route GET:/nowhere?… not found".
    ['request completed', { method: 'GET', url: '/nowhere', remoteAddress: '127.0.0.1' }, { statusCode: 404 }],
  ]);
  assert.notEqual(lines[0]!.reqId, lines[1]!.reqId);
  assert.ok(lines.every((l) => typeof l.responseTime === 'number' && l.level === 30));
});

test('TesseraLogController: below info no access line; a request that errors is logged through the redacting logger', async () => {
  const out = capture();
  const app = loggedApp('warn', out);
  app.get('/x', async () => ({ ok: true }));
  await app.ready();
  assert.equal((await app.inject({ method: 'GET', url: '/x' })).statusCode, 200);
  await nextTurn();
  assert.equal(out.text(), '');
  // What Fastify calls when the response stream fails (a client reset mid-response).
  const request = { id: 'req-9', log: app.log.child({ reqId: 'req-9' }) };
  const controller = new TesseraLogController(new AccessLog('warn', out.stream));
  const failure = Object.assign(new Error('socket hang up'), { token: 'S3cret-on-the-error' });
  controller.requestCompleted(failure, request as never, { log: request.log, elapsedTime: 3, statusCode: 200 } as never);
  const line = out.lines().find((l) => l.msg === 'request errored');
  assert.equal(line?.reqId, 'req-9');
  assert.ok(!out.text().includes('S3cret'), `a secret leaked: ${out.text()}`);
  await app.close();
});

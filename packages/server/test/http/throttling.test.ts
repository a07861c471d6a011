// Sign-in throttling per account + client IP (default 10 failures in a sliding 15 minutes),
// with X-Forwarded-For ignored (TESSERA_TRUST_PROXY unset). See throttling-proxy.test.ts for
// the trusted-proxy case and the per-account lock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { assertError, assertRateLimited, disposeAndCheckLog, httpClient, registerFreshAccount, SESSION_COOKIE } from '../helpers/http-assertions.js';
import { cookiesOf, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

const WRONG = 'definitely not the password, sorry';
const MAX = 10;
const WINDOW = 900;

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD, WRONG]);
const { call } = httpClient(() => s);

/** 429 rate_limited with a Retry-After of whole seconds in (0, 900] and no cookie; returns it. */
const assertLimited = (res: LightMyRequestResponse, context = '') => assertRateLimited(res, context, WINDOW);
const newAccount = () => registerFreshAccount(call, 'throttle');

function login(email: string, password: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return call({ method: 'POST', url: '/auth/login', headers, payload: { email, password } }).then((res) => {
    const c = cookiesOf(res)[SESSION_COOKIE];
    if (c) secrets.add(c);
    return res;
  });
}

async function fail(email: string, times: number, headers: (i: number) => Record<string, string> = () => ({})): Promise<void> {
  for (let i = 0; i < times; i++) assertError(await login(email, WRONG, headers(i)), 401, 'invalid_credentials', `failure ${i + 1}`);
}

before(async () => {
  s = await startTestServer({ manualClock: true });
});

after(() => disposeAndCheckLog(s, secrets));

describe('per account + IP', () => {
  it('10 failures, then 429 rate_limited with Retry-After; the right password is refused too', async () => {
    const email = await newAccount();
    await fail(email, MAX);
    const retry = assertLimited(await login(email, WRONG));
    assert.equal(retry, WINDOW, 'all failures happened at the same instant');
    assertLimited(await login(email, GOOD_PASSWORD), 'correct password while throttled');
    assertLimited(await login(email.toUpperCase(), GOOD_PASSWORD), 'another spelling of the same email');
    assertLimited(await login(`  ${email}  `, GOOD_PASSWORD), 'with spaces');
  });

  it('the window slides: after 15 minutes the right password works again', async () => {
    const email = await newAccount();
    await fail(email, MAX);
    s.clock!.advanceSeconds(WINDOW + 1);
    const res = await login(email, GOOD_PASSWORD);
    assert.equal(res.statusCode, 200, res.body);
  });

  it('waiting exactly the announced Retry-After is enough', async () => {
    const email = await newAccount();
    await fail(email, MAX);
    const retry = assertLimited(await login(email, GOOD_PASSWORD));
    s.clock!.advanceSeconds(retry);
    const res = await login(email, GOOD_PASSWORD);
    assert.equal(res.statusCode, 200, `after Retry-After (${retry} s): ${res.statusCode} ${res.body}`);
  });

  it('Retry-After counts down to when the oldest failure leaves the window', async () => {
    const email = await newAccount();
    await fail(email, 1);
    s.clock!.advanceSeconds(300);
    await fail(email, MAX - 1);
    const retry = assertLimited(await login(email, WRONG));
    assert.equal(retry, WINDOW - 300);
    s.clock!.advanceSeconds(WINDOW - 300 + 1);
    // One failure left the window: one more attempt is allowed.
    assert.equal((await login(email, GOOD_PASSWORD)).statusCode, 200);
  });

  it('a success resets the counter', async () => {
    const email = await newAccount();
    await fail(email, MAX - 1);
    assert.equal((await login(email, GOOD_PASSWORD)).statusCode, 200);
    await fail(email, MAX);
    assertLimited(await login(email, GOOD_PASSWORD));
  });

  it('unknown emails are counted the same way: 429 after 10, same status, body and Retry-After', async () => {
    const known = await newAccount();
    const unknown = `nobody-${Date.now()}@example.com`;
    await fail(known, MAX);
    await fail(unknown, MAX);
    const a = await login(known, WRONG);
    const b = await login(unknown, WRONG);
    assertLimited(a, 'known');
    assertLimited(b, 'unknown');
    assert.equal(a.body, b.body);
    assert.equal(a.headers['retry-after'], b.headers['retry-after']);
  });

  it('X-Forwarded-For is ignored by default: rotating it does not escape the limit', async () => {
    const email = await newAccount();
    await fail(email, MAX, (i) => ({ 'x-forwarded-for': `203.0.113.${i + 1}` }));
    assertLimited(await login(email, GOOD_PASSWORD, { 'x-forwarded-for': '198.51.100.77' }));
    assertLimited(await login(email, GOOD_PASSWORD, { 'x-forwarded-for': '198.51.100.78, 10.0.0.1' }));
    assertLimited(await login(email, GOOD_PASSWORD, { 'x-real-ip': '198.51.100.79', forwarded: 'for=198.51.100.80' }));
  });

  it('the limit is per account: another account from the same IP is not affected', async () => {
    const throttled = await newAccount();
    const other = await newAccount();
    await fail(throttled, MAX);
    assertLimited(await login(throttled, GOOD_PASSWORD));
    assert.equal((await login(other, GOOD_PASSWORD)).statusCode, 200);
  });

  it('a throttled attempt is refused before the password is checked in either mode', async () => {
    const email = await newAccount();
    await fail(email, MAX);
    assertLimited(await call({ method: 'POST', url: '/auth/login', payload: { email, password: GOOD_PASSWORD, mode: 'jwt' } }));
  });
});

describe('metrics', () => {
  it('counts 429s in tessera_rate_limited_total', async () => {
    const text = (await call({ method: 'GET', url: '/metrics' })).body;
    const line = text.split('\n').find((l) => l.startsWith('tessera_rate_limited_total '));
    assert.ok(line, 'tessera_rate_limited_total is exported');
    assert.ok(Number(line.split(' ')[1]) >= 8, line);
  });
});

// Sign-in throttling behind one trusted proxy (TESSERA_TRUST_PROXY=1): X-Forwarded-For selects
// the client, so each client IP has its own account + IP counter, and the per-account lock
// (100 consecutive failures, from any IPs) stops a distributed guesser.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import {
  assertError, assertRateLimited, disposeAndCheckLog, httpClient, registerFreshAccount, SESSION_COOKIE,
} from '../helpers/http-assertions.js';
import { body, cookiesOf, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

const WRONG = 'still definitely not the password';
const MAX = 10;

let s: TestServer;
const secrets = new Set<string>([GOOD_PASSWORD, WRONG]);
const { call } = httpClient(() => s);

const newAccount = () => registerFreshAccount(call, 'proxy');

async function login(email: string, password: string, xff: string | undefined, mode: 'session' | 'jwt' = 'session'): Promise<LightMyRequestResponse> {
  const res = await call({ method: 'POST', url: '/auth/login', headers: xff === undefined ? {} : { 'x-forwarded-for': xff }, payload: { email, password, mode } });
  const c = cookiesOf(res)[SESSION_COOKIE];
  if (c) secrets.add(c);
  if (res.statusCode === 200 && mode === 'jwt') {
    secrets.add(body(res).accessToken);
    secrets.add(body(res).refreshToken);
  }
  return res;
}

before(async () => {
  s = await startTestServer({ manualClock: true, env: { TESSERA_TRUST_PROXY: '1' } });
});

after(() => disposeAndCheckLog(s, secrets));

describe('TESSERA_TRUST_PROXY=1', () => {
  it('X-Forwarded-For selects the client: different addresses have separate counters', async () => {
    const email = await newAccount();
    for (let i = 0; i < MAX; i++) assertError(await login(email, WRONG, '203.0.113.10'), 401, 'invalid_credentials');
    assertRateLimited(await login(email, GOOD_PASSWORD, '203.0.113.10'), 'the guessing client');
    const other = await login(email, GOOD_PASSWORD, '198.51.100.20');
    assert.equal(other.statusCode, 200, `another client: ${other.body}`);
    // The guesser's own counter is untouched by the other client's success.
    assertRateLimited(await login(email, GOOD_PASSWORD, '203.0.113.10'), 'the guessing client, still');
  });

  it('only the address written by the trusted proxy counts: spoofed entries to its left do not escape the limit', async () => {
    const email = await newAccount();
    for (let i = 0; i < MAX; i++) {
      assertError(await login(email, WRONG, `10.9.8.${i}, 192.0.2.55`), 401, 'invalid_credentials');
    }
    assertRateLimited(await login(email, GOOD_PASSWORD, '1.2.3.4, 192.0.2.55'));
  });

  it('the device list shows the forwarded client address', async () => {
    const email = await newAccount();
    const res = await login(email, GOOD_PASSWORD, '192.0.2.99');
    assert.equal(res.statusCode, 200);
    const cookie = cookiesOf(res)[SESSION_COOKIE]!;
    const list = await call({ method: 'GET', url: '/auth/sessions', headers: { cookie: `${SESSION_COOKIE}=${cookie}` } });
    assert.equal(body(list).sessions[0].ip, '192.0.2.99');
  });
});

describe('per-account lock (100 consecutive failures from any IPs)', () => {
  it('after 100 failures from 100 addresses the account is locked for every IP, a fresh one included', async () => {
    const email = await newAccount();
    const bystander = await newAccount();
    for (let i = 0; i < 100; i++) {
      const xff = `198.18.${Math.floor(i / 50)}.${(i % 50) + 1}`;
      assertError(await login(email, WRONG, xff), 401, 'invalid_credentials', `failure ${i + 1} from ${xff}`);
    }
    assertRateLimited(await login(email, GOOD_PASSWORD, '192.0.2.200'), 'a fresh IP, right password');
    assertRateLimited(await login(email, GOOD_PASSWORD, '198.18.0.1', 'jwt'), 'an IP with a single failure, jwt mode');
    // The lock does not end with the 15-minute window (NIST: a reset or an administrator).
    s.clock!.advanceSeconds(16 * 60);
    assertRateLimited(await login(email, GOOD_PASSWORD, '192.0.2.201'), 'still locked after the window');
    // Other accounts are unaffected.
    assert.equal((await login(bystander, GOOD_PASSWORD, '198.18.0.1')).statusCode, 200);
  });

  it('99 failures then a success: the consecutive count starts again', async () => {
    const email = await newAccount();
    for (let i = 0; i < 99; i++) assertError(await login(email, WRONG, `198.19.${Math.floor(i / 50)}.${(i % 50) + 1}`), 401, 'invalid_credentials');
    assert.equal((await login(email, GOOD_PASSWORD, '192.0.2.210')).statusCode, 200);
    for (let i = 0; i < 5; i++) assertError(await login(email, WRONG, `198.19.9.${i + 1}`), 401, 'invalid_credentials');
    assert.equal((await login(email, GOOD_PASSWORD, '192.0.2.211')).statusCode, 200);
  });
});

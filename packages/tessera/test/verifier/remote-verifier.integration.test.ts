/**
 * The remote verifier against the real server, over real HTTP on a loopback port: verifies a
 * token with no call per request, refuses it within the lag after its session is ended, and
 * fails closed once the feed is unreachable past the lag.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTesseraError } from '../../src/errors.js';
import { createRemoteVerifier } from '../../src/verifier/remote-verifier.js';
import type { FetchFunction, RemoteVerifier } from '../../src/verifier/remote-verifier.js';
import { signUpAndIn, startTestServer } from '../../../server/test/helpers/test-server.js';
import type { TestServer } from '../../../server/test/helpers/test-server.js';

const SERVICE_KEY = `svc_${'s'.repeat(36)}`;
const ISSUER = 'https://auth.test';
const MAX_LAG_MS = 1000;
const POLL_MS = 100;

/** Polls `check` every 20 ms until it returns true or `limitMs` passes; returns the elapsed ms. */
async function waitFor(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await sleep(20);
  }
  return Date.now() - started;
}

async function outcome(verifier: RemoteVerifier, token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return 'valid';
  } catch (error) {
    return isTesseraError(error) ? error.code : 'other';
  }
}

describe('remote verifier against the real server', () => {
  let server: TestServer;
  let disposed = false;
  let verifier: RemoteVerifier;
  const calls: string[] = [];

  before(async () => {
    server = await startTestServer({ env: { TESSERA_SERVICE_KEYS: SERVICE_KEY, TESSERA_ISSUER: ISSUER } });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.app.server.address() as AddressInfo;
    const countingFetch: FetchFunction = (input, init) => {
      calls.push(new URL(String(input)).pathname);
      return fetch(input, init);
    };
    verifier = createRemoteVerifier({
      issuer: ISSUER,
      jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      revocationsUrl: `http://127.0.0.1:${port}/auth/revocations`,
      serviceKey: SERVICE_KEY,
      maxLagSeconds: MAX_LAG_MS / 1000,
      pollIntervalMs: POLL_MS,
      timeoutMs: 500,
      fetch: countingFetch,
    });
    await verifier.start();
  });

  after(async () => {
    verifier.stop();
    if (!disposed) await server.dispose();
  });

  it('verifies with no call per request, refuses within the lag after logout, fails closed when the feed is gone', async (t) => {
    const alice = await signUpAndIn(server, 'jwt');
    const bob = await signUpAndIn(server, 'jwt');
    const aliceToken = alice.body.accessToken as string;
    const bobToken = bob.body.accessToken as string;

    // The loop awaits only already-settled work, so no poll timer can run inside it: every
    // call counted here would have been caused by a verification.
    const before = calls.length;
    for (let i = 0; i < 200; i++) {
      const claims = await verifier.verify(i % 2 === 0 ? aliceToken : bobToken);
      assert.equal(claims.iss, ISSUER);
    }
    assert.equal(calls.length - before, 0, 'no call to Tessera per request');
    assert.equal(calls.filter((p) => p === '/.well-known/jwks.json').length, 1);
    assert.equal((await verifier.verifyRequest({ authorization: `Bearer ${aliceToken}` })).sub, alice.userId);

    const logout = await server.app.inject({ method: 'POST', url: '/auth/logout', headers: alice.headers });
    assert.equal(logout.statusCode, 204);
    const refusedAfter = await waitFor(MAX_LAG_MS * 3, async () => (await outcome(verifier, aliceToken)) === 'unauthorized');
    assert.ok(refusedAfter <= MAX_LAG_MS, `refused ${refusedAfter} ms after logout (max lag ${MAX_LAG_MS} ms)`);
    assert.equal(await outcome(verifier, bobToken), 'valid', 'other sessions unaffected');
    assert.equal(verifier.status().healthy, true);

    await server.dispose();
    disposed = true;
    const closedAt = Date.now();
    const failedAfter = await waitFor(MAX_LAG_MS * 4, async () => (await outcome(verifier, bobToken)) === 'unavailable');
    assert.ok(failedAfter <= MAX_LAG_MS + POLL_MS + 500, `failed closed ${failedAfter} ms after the server closed`);
    assert.ok(Date.now() - closedAt < MAX_LAG_MS * 4);
    assert.equal(verifier.status().healthy, false);
    t.diagnostic(`refused ${refusedAfter} ms after logout; failed closed ${failedAfter} ms after the server closed (max lag ${MAX_LAG_MS} ms, poll ${POLL_MS} ms)`);
    assert.equal(await outcome(verifier, aliceToken), 'unauthorized', 'a known revocation still holds');
  });
});

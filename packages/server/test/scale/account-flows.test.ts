// The account flows on three `tessera serve` processes A, B and C sharing one Redis and one
// PostgreSQL (issue 8: "disabling or deleting ends every session and family at once on every
// instance, through the revocation view"; a reset ends every session of the account). Every
// step is taken on one instance and checked on the two others: an administrator's disable,
// a password reset (asked on one, confirmed on another, with the link read from the shared
// development outbox), and a user's own account deletion. Figures go to `FIGURE:` lines.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { SpawnedServer } from '../robustness/spawn-server.js';
import type { Credential, Deployment } from './harness.js';
import { call, figure, me, ms, PASSWORD, pollUntil, register, sharedServicesSkip, signIn, useThreeInstances } from './harness.js';

const skip = await sharedServicesSkip();
const ADMIN_KEY = randomBytes(32).toString('base64url');
/** The bus brings a revocation in milliseconds; the catch-up (every second) bounds a lost message. */
const REFUSED_WITHIN_MS = 2500;

describe('account flows across three instances', { skip, timeout: 120_000 }, () => {
  const three = useThreeInstances('accounts', { env: { TESSERA_ADMIN_KEYS: ADMIN_KEY } });
  const { name } = three;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  let d: Deployment;
  let A: SpawnedServer;
  let B: SpawnedServer;
  let C: SpawnedServer;
  before(() => ({ d, A, B, C } = three));

  /** Credentials of both modes signed in on each instance, each checked on every instance. */
  async function everywhere(email: string): Promise<Credential[]> {
    const out: Credential[] = [];
    for (const s of [A, B, C]) for (const mode of ['session', 'jwt'] as const) out.push(await signIn(s.baseUrl, email, mode));
    for (const s of [A, B, C]) for (const c of out) assert.equal((await me(s.baseUrl, c)).status, 200, `${c.mode} credential on ${name(s)}`);
    return out;
  }

  /** Every credential refused (401) on every instance; returns the slowest refusal, ms after `since`. */
  async function refusedEverywhere(credentials: Credential[], since: number, what: string): Promise<number> {
    let slowest = 0;
    for (const s of [A, B, C]) {
      for (const c of credentials) {
        const took = await pollUntil(async () => (await me(s.baseUrl, c)).status === 401, REFUSED_WITHIN_MS);
        assert.notEqual(took, null, `${what}: a ${c.mode} credential is still accepted on ${name(s)}`);
        slowest = Math.max(slowest, performance.now() - since);
      }
    }
    return slowest;
  }

  async function userId(base: string, credential: Credential): Promise<string> {
    const r = await me(base, credential);
    assert.equal(r.status, 200);
    return (JSON.parse(r.body) as { user: { id: string } }).user.id;
  }

  /**
   * The newest development-outbox mail to `email` whose text matches `pattern`, after `afterSeq`
   * (the outbox is in the shared database; mail leaves the request path, so it is polled for).
   */
  async function mailTo(email: string, pattern: RegExp, afterSeq = 0): Promise<{ seq: number; match: RegExpExecArray }> {
    let found: { seq: number; match: RegExpExecArray } | undefined;
    const took = await pollUntil(async () => {
      const { rows } = await d.pool.query<{ seq: string; text_body: string }>(
        `SELECT seq, text_body FROM ${d.schema}.mail_outbox WHERE recipient = $1 AND seq > $2 ORDER BY seq DESC`,
        [email, afterSeq],
      );
      for (const row of rows) {
        const match = pattern.exec(row.text_body);
        if (match) found = { seq: Number(row.seq), match };
      }
      return found !== undefined;
    }, 5000, 20);
    assert.ok(took !== null && found, `a mail to ${email} matching ${pattern}`);
    return found;
  }

  it('an administrator disables the account on A: every credential from A, B and C is refused everywhere; sign-in is 403 on each; enable on B lets it back in on C', async () => {
    const email = 'disabled@accounts.test';
    await register(A.baseUrl, email);
    const credentials = await everywhere(email);
    const id = await userId(B.baseUrl, credentials[0]!);

    const t0 = performance.now();
    assert.equal((await call(A.baseUrl, 'POST', `/admin/users/${id}/disable`, { headers: admin })).status, 204);
    const slowest = await refusedEverywhere(credentials, t0, 'disable');
    for (const s of [A, B, C]) {
      const r = await call(s.baseUrl, 'POST', '/auth/login', { json: { email, password: PASSWORD } });
      assert.equal(r.status, 403, `sign-in of a disabled account on ${name(s)}: ${r.body}`);
    }
    assert.equal((await call(B.baseUrl, 'POST', `/admin/users/${id}/enable`, { headers: admin })).status, 204);
    const back = await signIn(C.baseUrl, email, 'session');
    assert.equal((await me(A.baseUrl, back)).status, 200, 'a new sign-in works everywhere');
    for (const c of credentials) assert.equal((await me(C.baseUrl, c)).status, 401, 'enabling does not bring ended sessions back');
    figure(`account-flows: disable on A refused all 6 credentials on A/B/C within ${ms(slowest)} ms (checked one after another)`);
  });

  it('a password reset asked on B and confirmed on C ends every session of the account on A, B and C; the new password works on A, the old one nowhere', async () => {
    const email = 'reset@accounts.test';
    await register(B.baseUrl, email);
    const credentials = await everywhere(email);

    const asked = await call(B.baseUrl, 'POST', '/auth/password-reset', { json: { email } });
    assert.equal(asked.status, 202, asked.body);
    const mail = await mailTo(email, /#\/reset-password\?token=([A-Za-z0-9_.-]+)/);
    const token = mail.match[1];
    const newPassword = `${PASSWORD} renewed`;
    const t0 = performance.now();
    const confirmed = await call(C.baseUrl, 'POST', '/auth/password-reset/confirm', { json: { token, newPassword } });
    assert.equal(confirmed.status, 204, confirmed.body);
    const slowest = await refusedEverywhere(credentials, t0, 'password reset');
    assert.equal((await call(A.baseUrl, 'POST', '/auth/password-reset/confirm', { json: { token, newPassword: `${newPassword} again` } })).status, 400, 'the link works once, on any instance');
    for (const s of [A, B, C]) {
      assert.equal((await call(s.baseUrl, 'POST', '/auth/login', { json: { email, password: PASSWORD } })).status, 401, `old password on ${name(s)}`);
    }
    const fresh = await call(A.baseUrl, 'POST', '/auth/login', { json: { email, password: newPassword, mode: 'jwt' } });
    assert.equal(fresh.status, 200, fresh.body);
    await mailTo(email, /password/i, mail.seq); // the account is told of the reset by mail
    figure(`account-flows: reset confirmed on C refused all 6 credentials on A/B/C within ${ms(slowest)} ms`);
  });

  it('the user deletes the account from a session on C: every credential is refused on A, B and C, sign-in is 401 everywhere, the email is free again', async () => {
    const email = 'deleted@accounts.test';
    await register(C.baseUrl, email);
    const credentials = await everywhere(email);
    const onC = credentials[4]!; // the session cookie signed in on C

    const wrong = await call(C.baseUrl, 'POST', '/auth/delete-account', { headers: onC.headers, json: { currentPassword: `${PASSWORD} wrong` } });
    assert.equal(wrong.status, 401, 're-authentication is required');
    const t0 = performance.now();
    const deleted = await call(C.baseUrl, 'POST', '/auth/delete-account', { headers: onC.headers, json: { currentPassword: PASSWORD } });
    assert.equal(deleted.status, 204, deleted.body);
    const slowest = await refusedEverywhere(credentials, t0, 'account deletion');
    for (const s of [A, B, C]) {
      const r = await call(s.baseUrl, 'POST', '/auth/login', { json: { email, password: PASSWORD } });
      assert.equal(r.status, 401, `sign-in of a deleted account on ${name(s)}: ${r.body}`);
    }
    await register(A.baseUrl, email);
    figure(`account-flows: deletion on C refused all 6 credentials on A/B/C within ${ms(slowest)} ms; the email registers again on A`);
  });
});

/**
 * Property-based fuzzing of the account routes (verification, reset, email change, deletion)
 * and the admin API: arbitrary JSON bodies, the right keys with wrong types, near-valid tokens
 * and real ones, valid and junk credentials. "No input, however malformed, gets a 500", and
 * every error has the spec's shape, code and status. Fixed seed (TESSERA_FUZZ_SEED to change).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { GOOD_PASSWORD, signUpAndIn } from '../helpers/test-server.js';
import { startMailTestServer } from '../helpers/mail.js';
import { SPEC_ERRORS } from '../helpers/spec-contract.js';
import type { MailTestServer } from '../helpers/mail.js';

const RUNS = Number(process.env.TESSERA_FUZZ_RUNS ?? 300);
const SEED = Number(process.env.TESSERA_FUZZ_SEED ?? 20_260_501);
const ADMIN_KEY = 'x'.repeat(40);

const STATUS = SPEC_ERRORS;

function check(res: LightMyRequestResponse, what: string): void {
  const ctx = `${what} → ${res.statusCode} ${res.body.slice(0, 200)}`;
  assert.ok(res.statusCode < 500, ctx);
  if (res.statusCode < 400) return;
  const { error } = JSON.parse(res.body) as { error: { code: string; message: string } };
  assert.equal(typeof error.message, 'string', ctx);
  assert.equal(STATUS[error.code], res.statusCode, ctx);
  if (res.statusCode === 401) assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tessera"/, ctx);
  if (res.statusCode === 429) assert.match(String(res.headers['retry-after']), /^[1-9][0-9]*$/, ctx);
}

describe('fuzz: account routes and admin API', () => {
  let m: MailTestServer;
  let tokens: string[];
  let headers: Record<string, string>[];
  before(async () => {
    m = await startMailTestServer('outbox', { env: { TESSERA_ADMIN_KEYS: ADMIN_KEY } });
    const me = await signUpAndIn(m.s, 'jwt', 'fuzz-account@example.com');
    await m.s.app.inject({ method: 'POST', url: '/auth/password-reset', payload: { email: me.email } });
    tokens = (await m.inbox()).map((mail) => mail.token!).filter(Boolean);
    headers = [{}, me.headers, { authorization: `Bearer ${ADMIN_KEY}` }, { authorization: 'Bearer junk' }, { cookie: '__Host-tessera_session=a.b' }];
  });
  after(async () => { await m.close(); });

  const token = () => fc.oneof(
    fc.constantFrom(...tokens),
    fc.constantFrom(...tokens).map((t) => t.slice(0, -1)),
    fc.constantFrom(...tokens).map((t) => `${t.split('.')[1]}.${t.split('.')[0]}`),
    fc.string({ maxLength: 80 }),
    fc.constantFrom('', '.', '..', 'a.b', '__proto__'),
  );
  const value = (): fc.Arbitrary<unknown> => fc.oneof(fc.string({ maxLength: 60 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
  const field = (name: string, good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: value() }).map((v) => [name, v] as const);
  const email = fc.oneof(fc.emailAddress(), fc.string({ maxLength: 40 }), fc.constant('fuzz-account@example.com'));
  const password = fc.oneof(fc.constant(GOOD_PASSWORD), fc.string({ maxLength: 40 }));

  // Built inside each test: the tokens exist only once `before` ran.
  const routes = (): Array<{ method: 'GET' | 'POST' | 'DELETE'; url: fc.Arbitrary<string>; body: fc.Arbitrary<unknown> }> => [
    { method: 'POST', url: fc.constant('/auth/verify-email'), body: fc.tuple(field('token', token())).map(Object.fromEntries) },
    { method: 'POST', url: fc.constant('/auth/verify-email/resend'), body: fc.oneof(fc.constant({}), fc.object({ maxDepth: 1 })) },
    { method: 'POST', url: fc.constant('/auth/password-reset'), body: fc.tuple(field('email', email)).map(Object.fromEntries) },
    { method: 'POST', url: fc.constant('/auth/password-reset/confirm'), body: fc.tuple(field('token', token()), field('newPassword', password)).map(Object.fromEntries) },
    { method: 'POST', url: fc.constant('/auth/email'), body: fc.tuple(field('newEmail', email), field('currentPassword', password)).map(Object.fromEntries) },
    { method: 'POST', url: fc.constant('/auth/email/confirm'), body: fc.tuple(field('token', token())).map(Object.fromEntries) },
    { method: 'POST', url: fc.constant('/auth/delete-account'), body: fc.tuple(field('currentPassword', fc.string({ maxLength: 40 }))).map(Object.fromEntries) },
    { method: 'GET', url: fc.string({ maxLength: 30 }).map((q) => `/admin/users?${q}`), body: fc.constant(undefined) },
    { method: 'POST', url: fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('disable', 'enable')).map(([id, a]) => `/admin/users/${encodeURIComponent(id)}/${a}`), body: fc.constant(undefined) },
    { method: 'GET', url: fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ maxLength: 20 })).map(([id, q]) => `/admin/users/${encodeURIComponent(id)}/audit?${q}`), body: fc.constant(undefined) },
  ];

  const LABELS = [
    'POST /auth/verify-email', 'POST /auth/verify-email/resend', 'POST /auth/password-reset', 'POST /auth/password-reset/confirm',
    'POST /auth/email', 'POST /auth/email/confirm', 'POST /auth/delete-account', 'GET /admin/users', 'POST /admin/users/:id/disable|enable',
    'GET /admin/users/:id/audit',
  ];
  LABELS.forEach((label, i) => {
    it(`${label}: never a 5xx, errors follow the spec`, async () => {
      const route = routes()[i]!;
      await fc.assert(fc.asyncProperty(route.url, route.body, fc.constantFrom(...headers), async (url, payload, h) => {
        const res = await m.s.app.inject({ method: route.method, url, headers: h, ...(payload === undefined ? {} : { payload: payload as object }) });
        check(res, `${route.method} ${url} ${JSON.stringify(payload)?.slice(0, 120)}`);
      }), { numRuns: RUNS, seed: SEED + i });
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { body, GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import { freshEmail, startMailTestServer, startSmtpSink } from '../helpers/mail.js';

function refused(env: Record<string, string>, variable: string): string {
  try {
    loadConfig([], env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.variable, variable);
    return error.message;
  }
  assert.fail(`${JSON.stringify(env)} was accepted`);
}

describe('mail and account configuration', () => {
  it('TESSERA_SMTP_URL: smtp:// or smtps:// with a host; never repeated in an error', () => {
    assert.equal(loadConfig([], { TESSERA_SMTP_URL: 'smtps://u:p%40ss@mail.example.com:465' }).smtpUrl, 'smtps://u:p%40ss@mail.example.com:465');
    assert.equal(loadConfig([], { TESSERA_SMTP_URL: ' smtp://mail.example.com ' }).smtpUrl, 'smtp://mail.example.com');
    for (const bad of ['http://u:hunter2@mail.example.com', 'smtp://', 'hunter2', 'smtp:/hunter2']) {
      const message = refused({ TESSERA_SMTP_URL: bad }, 'TESSERA_SMTP_URL');
      assert.ok(!message.includes('hunter2'), message);
    }
  });

  it('TESSERA_MAIL_FROM: one address, optionally named; default from the issuer host', () => {
    assert.equal(loadConfig([], {}).mailFrom, 'Tessera <no-reply@127.0.0.1>');
    assert.equal(loadConfig([], { TESSERA_ISSUER: 'https://auth.example.com' }).mailFrom, 'Tessera <no-reply@auth.example.com>');
    assert.equal(loadConfig([], { TESSERA_MAIL_FROM: 'Acme <auth@acme.test>' }).mailFrom, 'Acme <auth@acme.test>');
    assert.equal(loadConfig([], { TESSERA_MAIL_FROM: 'auth@acme.test' }).mailFrom, 'auth@acme.test');
    for (const bad of ['nobody', 'a@b.test, c@d.test', 'Acme <auth@acme.test>\r\nBcc: x@y.test', 'a@b@c']) refused({ TESSERA_MAIL_FROM: bad }, 'TESSERA_MAIL_FROM');
  });

  it('booleans, lifetimes and admin keys are checked like the other settings', () => {
    const c = loadConfig([], {
      TESSERA_REQUIRE_VERIFIED_EMAIL: 'true', TESSERA_PASSWORD_RESET_TTL: '600', TESSERA_EMAIL_VERIFICATION_TTL: '3600',
      TESSERA_ADMIN_KEYS: `${'a'.repeat(32)}, ${'b'.repeat(40)}`,
    });
    assert.equal(c.requireVerifiedEmail, true);
    assert.equal(c.passwordResetTtlSeconds, 600);
    assert.equal(c.emailVerificationTtlSeconds, 3600);
    assert.deepEqual(c.adminKeys, ['a'.repeat(32), 'b'.repeat(40)]);
    assert.ok(Object.isFrozen(c.adminKeys));
    refused({ TESSERA_REQUIRE_VERIFIED_EMAIL: 'yes' }, 'TESSERA_REQUIRE_VERIFIED_EMAIL');
    refused({ TESSERA_PASSWORD_RESET_TTL: '59' }, 'TESSERA_PASSWORD_RESET_TTL');
    refused({ TESSERA_PASSWORD_RESET_TTL: '86401' }, 'TESSERA_PASSWORD_RESET_TTL');
    refused({ TESSERA_EMAIL_VERIFICATION_TTL: '604801' }, 'TESSERA_EMAIL_VERIFICATION_TTL');
    const message = refused({ TESSERA_ADMIN_KEYS: 'short-secret-value' }, 'TESSERA_ADMIN_KEYS');
    assert.ok(!message.includes('short-secret-value'));
  });

  it('TESSERA_DEV_OUTBOX_HTTP: only without SMTP and with a loopback issuer', () => {
    assert.equal(loadConfig([], { TESSERA_DEV_OUTBOX_HTTP: 'true' }).devOutboxHttp, true);
    assert.equal(loadConfig([], { TESSERA_DEV_OUTBOX_HTTP: 'true', TESSERA_ISSUER: 'http://localhost:3000' }).devOutboxHttp, true);
    refused({ TESSERA_DEV_OUTBOX_HTTP: 'true', TESSERA_SMTP_URL: 'smtp://mail.example.com' }, 'TESSERA_DEV_OUTBOX_HTTP');
    refused({ TESSERA_DEV_OUTBOX_HTTP: 'true', TESSERA_ISSUER: 'https://auth.example.com' }, 'TESSERA_DEV_OUTBOX_HTTP');
    refused({ TESSERA_DEV_OUTBOX_HTTP: 'true', HOST: '0.0.0.0' }, 'TESSERA_DEV_OUTBOX_HTTP');
    // A loopback issuer says nothing of where the server listens (a container's port mapping).
    refused({ TESSERA_DEV_OUTBOX_HTTP: 'true', HOST: '0.0.0.0', TESSERA_ISSUER: 'http://localhost:3000' }, 'TESSERA_DEV_OUTBOX_HTTP');
    refused({ TESSERA_DEV_OUTBOX_HTTP: 'true', HOST: '::', TESSERA_ISSUER: 'http://[::1]:3000' }, 'TESSERA_DEV_OUTBOX_HTTP');
    assert.equal(loadConfig([], { TESSERA_DEV_OUTBOX_HTTP: 'true', HOST: '::1', TESSERA_ISSUER: 'http://[::1]:3000' }).devOutboxHttp, true);
  });
});

describe('development outbox', () => {
  it('is announced at start; GET /dev/outbox exists only when enabled', async () => {
    const s = await startTestServer();
    try {
      assert.match(s.logText(), /mail is not sent: development outbox/);
      assert.equal((await s.app.inject({ url: '/dev/outbox' })).statusCode, 404);
    } finally {
      await s.dispose();
    }
  });

  it('GET /dev/outbox lists kept mail newest first; the query is checked; not in the OpenAPI document', async () => {
    const m = await startMailTestServer('outbox');
    try {
      const email = freshEmail();
      await m.s.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
      await m.s.auth.flushMail();
      const res = await m.s.app.inject({ url: '/dev/outbox?limit=1' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      const out = body(res);
      assert.equal(out.development, true);
      assert.equal(out.mail.length, 1);
      assert.deepEqual(Object.keys(out.mail[0]).sort(), ['at', 'html', 'seq', 'subject', 'text', 'to']);
      assert.equal(out.mail[0].to, email);
      for (const q of ['limit=0', 'limit=x', 'other=1']) assert.equal((await m.s.app.inject({ url: `/dev/outbox?${q}` })).statusCode, 400, q);
      // Only from this machine, to a loopback name: another address, or a page that rebinds
      // its own name to 127.0.0.1 (its Host header), finds no such route.
      assert.equal((await m.s.app.inject({ url: '/dev/outbox', remoteAddress: '192.0.2.7' })).statusCode, 404);
      assert.equal((await m.s.app.inject({ url: '/dev/outbox', headers: { host: 'attacker.example:3000' } })).statusCode, 404);
      for (const host of ['127.0.0.1:3000', 'localhost', '[::1]:3000']) {
        assert.equal((await m.s.app.inject({ url: '/dev/outbox', headers: { host } })).statusCode, 200, host);
      }
      const post = await m.s.app.inject({ method: 'POST', url: '/dev/outbox' });
      assert.equal(post.statusCode, 405);
      assert.equal(post.headers.allow, 'GET, HEAD');
      const doc = body(await m.s.app.inject({ url: '/docs/json' }));
      assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/dev/')));
    } finally {
      await m.close();
    }
  });
});

describe('SMTP trouble', () => {
  it('never shows in an answer: the flow answers as usual, the failure is logged (without the address) and counted', async () => {
    const sink = await startSmtpSink();
    const s = await startTestServer({ env: { TESSERA_SMTP_URL: sink.url } });
    try {
      const email = freshEmail('trouble');
      await s.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: GOOD_PASSWORD } });
      await s.auth.flushMail();
      sink.refuse(true);
      const res = await s.app.inject({ method: 'POST', url: '/auth/password-reset', payload: { email } });
      assert.equal(res.statusCode, 202);
      await s.auth.flushMail();
      assert.match(s.logText(), /account mail not delivered/);
      assert.ok(!s.logText().includes(email), 'no address in the log');
      const metrics = (await s.app.inject({ url: '/metrics' })).body;
      assert.match(metrics, /tessera_mail_total\{kind="password_reset",outcome="failed"\} 1/);
      assert.match(metrics, /tessera_mail_total\{kind="email_verification",outcome="sent"\} 1/);
      await sink.close();
      const unreachable = await s.app.inject({ method: 'POST', url: '/auth/password-reset', payload: { email } });
      assert.equal(unreachable.statusCode, 202, 'an unreachable SMTP server changes nothing either');
    } finally {
      await s.dispose();
    }
  });
});

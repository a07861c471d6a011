import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMailQueue } from '../../src/mail/mail-queue.js';
import type { MailOutcome } from '../../src/mail/mail-queue.js';
import type { MailMessage } from '../../src/mail/mailer.js';
import { createOutboxMailer } from '../../src/mail/mailer.js';
import { describeDuration, escapeHtml, passwordResetMail } from '../../src/mail/templates.js';
import { ManualClock } from '../../src/clock.js';
import { createMemoryStore } from '../../src/stores/memory.js';

const message = (to: string): MailMessage => ({ to, subject: 's', text: 't', html: '<p>h</p>' });

describe('mail queue', () => {
  it('builds and sends after the current turn of the event loop, never inside enqueue', async () => {
    const sent: string[] = [];
    const outcomes: MailOutcome[] = [];
    const queue = createMailQueue({ mailer: { send: async (m) => { sent.push(m.to); } }, onOutcome: (o) => outcomes.push(o) });
    let built = false;
    queue.enqueue('password_reset', () => { built = true; return message('a@example.com'); });
    await Promise.resolve();
    assert.equal(built, false, 'not even rendered on the request path');
    await queue.idle();
    assert.deepEqual(sent, ['a@example.com']);
    assert.deepEqual(outcomes, [{ kind: 'password_reset', outcome: 'sent' }]);
  });

  it('reports failures (of the build or the send) with the error code only, and keeps going', async () => {
    const outcomes: MailOutcome[] = [];
    const queue = createMailQueue({
      mailer: { send: async (m) => { if (m.to === 'bad@example.com') throw Object.assign(new Error('550 no such user bad@example.com'), { code: 'EENVELOPE' }); } },
      onOutcome: (o) => outcomes.push(o),
    });
    queue.enqueue('email_change', () => message('bad@example.com'));
    queue.enqueue('email_verification', async () => { throw new Error('store down'); });
    queue.enqueue('password_changed', () => message('good@example.com'));
    await queue.idle();
    // Sent concurrently: compare in kind order.
    assert.deepEqual(outcomes.sort((a, b) => a.kind.localeCompare(b.kind)), [
      { kind: 'email_change', outcome: 'failed', errorCode: 'EENVELOPE' },
      { kind: 'email_verification', outcome: 'failed', errorCode: 'error' },
      { kind: 'password_changed', outcome: 'sent' },
    ]);
  });

  it('is bounded: past maxPending, messages are dropped and reported; at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const outcomes: MailOutcome[] = [];
    const queue = createMailQueue({
      mailer: { send: async () => { inFlight++; peak = Math.max(peak, inFlight); await new Promise((r) => setTimeout(r, 2)); inFlight--; } },
      onOutcome: (o) => outcomes.push(o),
      maxPending: 5,
      concurrency: 2,
    });
    for (let i = 0; i < 8; i++) queue.enqueue('password_reset', () => message(`${i}@example.com`));
    await queue.idle();
    assert.equal(outcomes.filter((o) => o.outcome === 'dropped').length, 3);
    assert.equal(outcomes.filter((o) => o.outcome === 'sent').length, 5);
    assert.equal(peak, 2);
  });
});

describe('outbox mailer', () => {
  it('keeps each message in the store with the clock time and a retention', async () => {
    const store = createMemoryStore();
    const clock = new ManualClock(1_000_000);
    await createOutboxMailer({ store, clock, retentionSeconds: 60 }).send(message('a@example.com'));
    const [kept] = await store.listOutboxMail({ limit: 5 });
    assert.deepEqual({ ...kept, seq: 0 }, { seq: 0, at: 1_000_000, to: 'a@example.com', subject: 's', text: 't', html: '<p>h</p>', expiresAt: 1_060_000 });
  });
});

describe('templates', () => {
  it('escapeHtml escapes the five characters', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('describeDuration speaks human', () => {
    assert.equal(describeDuration(1800), '30 minutes');
    assert.equal(describeDuration(3600), '1 hour');
    assert.equal(describeDuration(86_400), '24 hours');
    assert.equal(describeDuration(604_800), '7 days');
    assert.equal(describeDuration(61), '61 seconds');
  });

  it('a mail carries the link and the code in both parts, and escapes the address in HTML', () => {
    const to = `o'brien<x>@example.com`;
    const mail = passwordResetMail({ site: 'auth.example.com', to, url: 'https://auth.example.com/#/reset-password?token=a.b', token: 'a.b', ttlSeconds: 1800 });
    assert.equal(mail.to, to);
    assert.equal(mail.subject, 'Reset your password');
    assert.match(mail.text, /https:\/\/auth\.example\.com\/#\/reset-password\?token=a\.b/);
    assert.match(mail.text, /30 minutes/);
    assert.match(mail.html, /href="https:\/\/auth\.example\.com\/#\/reset-password\?token=a\.b"/);
    assert.ok(!mail.html.includes('<x>'));
  });
});

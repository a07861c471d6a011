import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Store } from '../stores/types.js';

/**
 * How Tessera sends mail: one message to one address. The library ships no SMTP client; the
 * server plugs in nodemailer, an application can plug in anything (an HTTP mail API, a queue).
 * A Mailer throws when it could not hand the message over; Tessera calls it off the request
 * path (see mail-queue.ts), so a slow or failing mail server delays or loses a mail, never a
 * response, and never tells a caller whether an account exists.
 */

/**
 * One message, rendered: what a {@link Mailer} hands to its transport. `to` is exactly one
 * address, never a list.
 *
 * @example
 * ```ts
 * import type { Mailer, MailMessage } from 'tessera'
 *
 * // A mailer for tests: keeps the messages to read the links back.
 * const sent: MailMessage[] = []
 * const mailer: Mailer = { send: async (message) => { sent.push(message) } }
 * ```
 */
export interface MailMessage {
  to: string;
  subject: string;
  /** Plain-text body. */
  text: string;
  /** HTML body: every interpolated value is escaped by the templates. */
  html: string;
}

/**
 * Sends mail for the account flows (verification, password reset, email change, notices):
 * plug in any transport. `send` throws when it could not hand the message over.
 *
 * @example
 * ```ts
 * import nodemailer from 'nodemailer'
 * import { createTessera } from 'tessera'
 * import type { Mailer } from 'tessera'
 *
 * const transport = nodemailer.createTransport('smtp://smtp.example.com:587')
 * const mailer: Mailer = {
 *   send: async (m) => { await transport.sendMail({ from: 'App <no-reply@example.com>', ...m }) },
 * }
 * const auth = await createTessera({ store, issuer: 'https://auth.example.com', mailer })
 * ```
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/**
 * Default retention of outbox mail: a week, well past the longest token lifetime, so a link
 * in the outbox outlives its own validity.
 *
 * @example
 * ```ts
 * import { createOutboxMailer, OUTBOX_RETENTION_SECONDS } from 'tessera'
 *
 * // Keep development mail for a day instead of a week.
 * const mailer = createOutboxMailer({ store, retentionSeconds: OUTBOX_RETENTION_SECONDS / 7 })
 * ```
 */
export const OUTBOX_RETENTION_SECONDS = 7 * 86_400;

/**
 * Options of {@link createOutboxMailer}: where messages are kept, and for how long.
 *
 * @example
 * ```ts
 * import { createOutboxMailer, ManualClock } from 'tessera'
 * import type { OutboxMailerOptions } from 'tessera'
 *
 * const options: OutboxMailerOptions = { store, clock: new ManualClock(), retentionSeconds: 3600 }
 * const mailer = createOutboxMailer(options)
 * ```
 */
export interface OutboxMailerOptions {
  /** Where the messages are kept (the store's `appendOutboxMail`). */
  store: Pick<Store, 'appendOutboxMail'>;
  clock?: Clock;
  /** How long a message is kept before `purgeExpired` removes it; default a week. */
  retentionSeconds?: number;
}

/**
 * A development Mailer: keeps every message in the store's outbox instead of sending it
 * (`tessera mail list` and, when enabled, `GET /dev/outbox` show them). For development only:
 * the outbox holds working links, so whoever can read it can reset any password.
 *
 * @example
 * ```ts
 * import { createOutboxMailer, createTessera } from 'tessera'
 *
 * const auth = await createTessera({ store, issuer: 'http://localhost:3000', mailer: createOutboxMailer({ store }) })
 * const [latest] = await store.listOutboxMail({ limit: 1 }) // the verification mail, once sent
 * ```
 */
export function createOutboxMailer(options: OutboxMailerOptions): Mailer {
  const clock = options.clock ?? systemClock;
  const retentionMs = (options.retentionSeconds ?? OUTBOX_RETENTION_SECONDS) * 1000;
  if (!Number.isSafeInteger(retentionMs) || retentionMs < 1000) throw new RangeError('retentionSeconds must be a positive integer');
  return {
    async send(message) {
      const at = clock.nowMs();
      await options.store.appendOutboxMail({
        at, to: message.to, subject: message.subject, text: message.text, html: message.html, expiresAt: at + retentionMs,
      });
    },
  };
}

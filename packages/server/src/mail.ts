/**
 * The server's mail: nodemailer over SMTP when `TESSERA_SMTP_URL` is set, else the development
 * outbox (messages kept in the database, shown by `tessera mail list` and, when enabled, at
 * `GET /dev/outbox`). Either way the library calls the Mailer off the request path.
 */
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { createOutboxMailer } from 'tessera';
import type { Clock, Mailer, Store } from 'tessera';
import type { ServerConfig } from './config.js';

/** How long SMTP may take, unless the URL's query says otherwise (nodemailer's defaults are minutes). */
const SMTP_TIMEOUTS_MS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as const;

/** The mail of one server. */
export interface ServerMail {
  readonly mailer: Mailer;
  /** `smtp`, or `outbox` (development: nothing is sent). */
  readonly mode: 'smtp' | 'outbox';
  close(): void;
}

/** The SMTP URL with the default timeouts added as query parameters (nodemailer reads options from there). */
function withTimeouts(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  for (const [name, ms] of Object.entries(SMTP_TIMEOUTS_MS)) if (!url.searchParams.has(name)) url.searchParams.set(name, String(ms));
  return url.toString();
}

function smtpMailer(transport: Transporter, from: string): Mailer {
  return {
    async send(message) {
      await transport.sendMail({
        from,
        // An address object is used as given: nodemailer does not parse it as a list, so an
        // address with a comma in its local part cannot add recipients.
        to: { name: '', address: message.to },
        subject: message.subject,
        text: message.text,
        html: message.html,
        // The bodies are strings; never let a value be read as a file path or a URL to fetch.
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    },
  };
}

/** The configured mail: SMTP, or the development outbox in `store`. */
export function createServerMail(config: ServerConfig, store: Store, clock?: Clock): ServerMail {
  if (config.smtpUrl === undefined) {
    return { mailer: createOutboxMailer({ store, ...(clock ? { clock } : {}) }), mode: 'outbox', close() {} };
  }
  const transport = nodemailer.createTransport(withTimeouts(config.smtpUrl));
  return { mailer: smtpMailer(transport, config.mailFrom), mode: 'smtp', close: () => transport.close() };
}

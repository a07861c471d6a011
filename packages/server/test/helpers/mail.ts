import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { body, startTestServer } from './test-server.js';
import type { TestServer, TestServerOptions } from './test-server.js';

/**
 * Mail for the account-flow tests, in the two ways the server delivers it: a real SMTP server
 * started by the test (`smtp-server`, messages parsed with `mailparser`), or the development
 * outbox (read over `GET /dev/outbox`). Tests run each flow in both modes.
 */

export type MailMode = 'smtp' | 'outbox';
export const MAIL_MODES: readonly MailMode[] = ['smtp', 'outbox'];

/** A message as a mailbox sees it. */
export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The `token` of the link in the text part, if any. */
  token: string | null;
  /** The link in the text part, if any. */
  link: string | null;
}

function withLink(m: Omit<ReceivedMail, 'token' | 'link'>): ReceivedMail {
  const link = /https?:\/\/\S+\?token=\S+/.exec(m.text)?.[0] ?? null;
  const token = link === null ? null : decodeURIComponent(new URL(link.replace('/#/', '/')).searchParams.get('token') ?? '');
  return { ...m, link, token };
}

/** An SMTP server on 127.0.0.1:<random>, accepting every message without authentication. */
export interface SmtpSink {
  url: string;
  messages: ReceivedMail[];
  /** Makes the server refuse every message with a 4xx/5xx (a mail server in trouble). */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  let refusing = false;
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP: the test server has no certificate for STARTTLS.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((parsed) => {
        if (refusing) {
          callback(Object.assign(new Error('try later'), { responseCode: 451 }));
          return;
        }
        const to = session.envelope.rcptTo.map((r) => r.address).join(',');
        messages.push(withLink({ to, subject: parsed.subject ?? '', text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : '' }));
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuse: (on) => { refusing = on; },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A test server whose mail goes to `mode`, with a way to read what it sent. */
export interface MailTestServer {
  s: TestServer;
  /** Every message delivered so far, oldest first (after the queue has drained). */
  inbox(): Promise<ReceivedMail[]>;
  /** The newest message to `to` whose subject matches; fails when there is none. */
  last(to: string, subject: RegExp): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startMailTestServer(mode: MailMode, options: TestServerOptions = {}): Promise<MailTestServer> {
  const sink = mode === 'smtp' ? await startSmtpSink() : undefined;
  const env = { ...options.env, ...(sink ? { TESSERA_SMTP_URL: sink.url } : { TESSERA_DEV_OUTBOX_HTTP: 'true' }) };
  const s = await startTestServer({ ...options, env });
  const inbox = async (): Promise<ReceivedMail[]> => {
    await s.auth.flushMail();
    if (sink) return [...sink.messages];
    const res = await s.app.inject({ url: '/dev/outbox?limit=999' });
    if (res.statusCode !== 200) throw new Error(`outbox: ${res.statusCode} ${res.body}`);
    const mail = body<{ mail: Array<Omit<ReceivedMail, 'token' | 'link'>> }>(res).mail;
    return mail.reverse().map((m) => withLink({ to: m.to, subject: m.subject, text: m.text, html: m.html }));
  };
  return {
    s,
    inbox,
    async last(to, subject) {
      const found = (await inbox()).filter((m) => m.to.toLowerCase() === to.toLowerCase() && subject.test(m.subject)).at(-1);
      if (!found) throw new Error(`no mail to ${to} matching ${subject}`);
      return found;
    },
    async close() {
      await s.dispose();
      await sink?.close();
    },
  };
}

/** A fresh address. */
export function freshEmail(prefix = 'user'): string {
  return `${prefix}-${Math.random().toString(36).slice(2)}@example.com`;
}

import { TesseraError } from '../errors.js';
import type { MailKind } from '../mail/mail-queue.js';
import type { MailMessage } from '../mail/mailer.js';
import type { MailSite } from '../mail/templates.js';
import type { AuthContext } from './context.js';

/** The web UI routes that account links open (under `accountLinkBase`, default `<issuer>/#/`). */
export type AccountLinkRoute = 'verify-email' | 'reset-password' | 'confirm-email';

/**
 * Fails with 503 `unavailable` when no mailer is configured: the flows that exist to send mail
 * cannot work. The answer is the same for every input, so it reveals nothing about accounts.
 */
export function requireMail(ctx: AuthContext): void {
  if (!ctx.mail) throw new TesseraError('unavailable', { message: 'Mail delivery is not configured on this server.', retryAfterSeconds: 3600 });
}

/** The link a mail carries for `token` (the token is base64url and a dot: nothing to escape). */
export function accountLink(ctx: AuthContext, route: AccountLinkRoute, token: string): string {
  return `${ctx.options.accountLinkBase}${route}?token=${encodeURIComponent(token)}`;
}

/** "auth.example.com": how mails name the service (the issuer's host). */
export function mailSite(ctx: AuthContext): MailSite {
  return { site: new URL(ctx.options.issuer).host };
}

/**
 * Queues a mail when a mailer is configured (notices are best effort: without a mailer they are
 * skipped). The message is built later, off the request path (see mail-queue.ts).
 */
export function queueMail(ctx: AuthContext, kind: MailKind, build: () => MailMessage | null | Promise<MailMessage | null>): void {
  ctx.mail?.enqueue(kind, build);
}

/** Queues the work of a mail that is not sent (see `MailQueue.enqueueDecoy`). */
export function queueDecoyMail(ctx: AuthContext, kind: MailKind, build: () => unknown): void {
  ctx.mail?.enqueueDecoy(kind, build);
}

import type { MailMessage } from './mailer.js';

/**
 * The account mails, each in plain text and HTML. Every interpolated value goes through
 * {@link escapeHtml} in the HTML part (an email address can hold `<`, `&` and quotes); subjects
 * are fixed strings, so no input ever reaches a header. Links carry the token in the URL
 * fragment (`#/verify-email?token=…`): browsers send no fragment to any server, so it stays
 * out of access logs and Referer headers. The token is also shown as a code to paste.
 */

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** "30 minutes", "1 hour", "24 hours", "2 days": a lifetime for people. */
export function describeDuration(seconds: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (seconds % 86_400 === 0 && seconds >= 2 * 86_400) return unit(seconds / 86_400, 'day');
  if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour');
  if (seconds % 60 === 0) return unit(seconds / 60, 'minute');
  return unit(seconds, 'second');
}

/** What every mail knows: where it comes from. */
export interface MailSite {
  /** The server's host (from the issuer), shown as "your account at …". */
  site: string;
}

interface Body {
  subject: string;
  /** Paragraphs before the action. */
  intro: string[];
  action?: { label: string; url: string; code: string };
  /** Paragraphs after the action. */
  outro: string[];
}

function render(to: string, body: Body): MailMessage {
  const text = [
    ...body.intro,
    ...(body.action ? [`${body.action.label}:\n${body.action.url}`, `Or enter this code:\n${body.action.code}`] : []),
    ...body.outro,
  ].join('\n\n');
  const p = (s: string) => `<p style="margin:0 0 16px">${escapeHtml(s)}</p>`;
  const action = body.action
    ? `<p style="margin:0 0 16px"><a href="${escapeHtml(body.action.url)}" style="display:inline-block;padding:10px 16px;background:#1f4fd1;color:#ffffff;text-decoration:none;border-radius:6px">${escapeHtml(body.action.label)}</a></p>`
      + `<p style="margin:0 0 16px">Or enter this code:<br><code style="font-size:13px;word-break:break-all">${escapeHtml(body.action.code)}</code></p>`
    : '';
  const html = '<!doctype html><html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark">'
    + `<title>${escapeHtml(body.subject)}</title></head>`
    + '<body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:560px;margin:24px auto;padding:0 16px">'
    + body.intro.map(p).join('') + action + body.outro.map(p).join('')
    + '</body></html>';
  return { to, subject: body.subject, text, html };
}

/** The verification of an address (at sign-up, on request, when sign-in needs it). */
export function verificationMail(m: MailSite & { to: string; url: string; token: string; ttlSeconds: number }): MailMessage {
  return render(m.to, {
    subject: 'Verify your email address',
    intro: [`Please confirm that ${m.to} is the email address of your account at ${m.site}.`],
    action: { label: 'Verify the email address', url: m.url, code: m.token },
    outro: [`The link works once and expires in ${describeDuration(m.ttlSeconds)}. If you did not create this account, ignore this message.`],
  });
}

/** A password reset link. */
export function passwordResetMail(m: MailSite & { to: string; url: string; token: string; ttlSeconds: number }): MailMessage {
  return render(m.to, {
    subject: 'Reset your password',
    intro: [`Someone, hopefully you, asked to reset the password of your account at ${m.site}.`],
    action: { label: 'Choose a new password', url: m.url, code: m.token },
    outro: [
      `The link works once and expires in ${describeDuration(m.ttlSeconds)}. Choosing a new password signs out every device.`,
      'If you did not ask for this, ignore this message: your password stays as it is.',
    ],
  });
}

/** The notice that the password changed (after a reset or a change). */
export function passwordChangedMail(m: MailSite & { to: string; at: Date; sessionsEnded: boolean }): MailMessage {
  return render(m.to, {
    subject: 'Your password was changed',
    intro: [
      `The password of your account at ${m.site} was changed on ${m.at.toISOString().replace('T', ' ').slice(0, 16)} UTC.`
      + (m.sessionsEnded ? ' Every device was signed out.' : ' Every other device was signed out.'),
    ],
    outro: ['If this was not you, reset your password at once and tell the administrator of the service.'],
  });
}

/** The confirmation link, to the new address. */
export function emailChangeMail(m: MailSite & { to: string; url: string; token: string; ttlSeconds: number }): MailMessage {
  return render(m.to, {
    subject: 'Confirm your new email address',
    intro: [`Please confirm that ${m.to} should become the email address of your account at ${m.site}.`],
    action: { label: 'Confirm the new address', url: m.url, code: m.token },
    outro: [`The link works once and expires in ${describeDuration(m.ttlSeconds)}. If you did not ask for this, ignore this message.`],
  });
}

/** The notice to the old address that a change was asked for. */
export function emailChangeNoticeMail(m: MailSite & { to: string; newEmail: string }): MailMessage {
  return render(m.to, {
    subject: 'A change of your email address was requested',
    intro: [
      `Someone signed in to your account at ${m.site} asked to change its email address to ${m.newEmail}.`,
      'Nothing changes until the new address is confirmed from a link sent to it.',
    ],
    outro: ['If this was not you, change your password now: whoever asked knows it.'],
  });
}

/** The notice to the old address that the change happened. */
export function emailChangedMail(m: MailSite & { to: string; newEmail: string }): MailMessage {
  return render(m.to, {
    subject: 'Your email address was changed',
    intro: [`The email address of your account at ${m.site} is now ${m.newEmail}. Mail about the account goes there from now on.`],
    outro: ['If this was not you, tell the administrator of the service at once.'],
  });
}

/** The notice that the account was deleted by its owner (sent after the deletion). */
export function accountDeletedMail(m: MailSite & { to: string; at: Date }): MailMessage {
  return render(m.to, {
    subject: 'Your account was deleted',
    intro: [
      `Your account at ${m.site} was deleted on ${m.at.toISOString().replace('T', ' ').slice(0, 16)} UTC, from a signed-in device that gave its password. Every device was signed out.`,
    ],
    outro: ['If this was not you, someone knows your password: tell the administrator of the service at once, and change that password wherever else you use it.'],
  });
}

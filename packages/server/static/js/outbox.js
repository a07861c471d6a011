// The development outbox panel. When the server keeps mail instead of sending it and serves it
// at GET /dev/outbox (development only: a loopback issuer and TESSERA_DEV_OUTBOX_HTTP=true),
// the panel lists the newest messages; a 404 means there is no outbox and the panel stays
// hidden. Each message is shown as its plain text, never its HTML part; a URL in the text
// becomes a link only when it points to this page's own origin (the links of account mails),
// built with the DOM (textContent and setAttribute), never by parsing markup.
import { byId, h, replace, setText } from './dom.js';
import { formatTime } from './format.js';

/** How many of the newest messages are shown. */
const LIMIT = 5;
const PATH = '/dev/outbox?limit=' + LIMIT;
const POLL_MS = 1500;
const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/g;

let timer = null;
let enabled = false;
/** The seq numbers shown, so an unchanged list is not rebuilt under the reader's pointer. */
let shown = '';

/** A same-origin http(s) URL as a link; anything else stays text. */
function linkOrText(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.origin !== location.origin || (url.protocol !== 'http:' && url.protocol !== 'https:')) return raw;
  return h('a', { attrs: { href: url.href }, text: raw });
}

/** The text with its same-origin URLs as links: a list of strings and anchors. */
export function linkify(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    // Punctuation that ends a sentence is not part of the URL.
    const raw = match[0].replace(/[.,;:!?)]+$/, '');
    parts.push(text.slice(last, match.index));
    parts.push(linkOrText(raw));
    last = match.index + raw.length;
  }
  parts.push(text.slice(last));
  return parts.filter((p) => p !== '');
}

function text(value) {
  return typeof value === 'string' ? value : '';
}

function message(mail) {
  const subject = text(mail.subject) || '(no subject)';
  return h('li', { className: 'mail' },
    h('article', { attrs: { 'aria-label': subject } },
      h('h3', { className: 'mail-subject', text: subject }),
      h('p', { className: 'hint' }, 'To ', h('strong', { text: text(mail.to) }), ' · ', formatTime(mail.at)),
      h('pre', { className: 'mail-text' }, ...linkify(text(mail.text))),
    ),
  );
}

function render(mail) {
  const key = mail.map((m) => String(m.seq)).join(',');
  if (key === shown) return;
  shown = key;
  setText('dev-outbox-count', mail.length === 0
    ? 'No mail yet.'
    : mail.length === 1 ? '1 message.' : mail.length + ' messages, newest first' + (mail.length >= LIMIT ? ' (older ones are not shown).' : '.'));
  replace(byId('dev-outbox-list'), ...mail.map(message));
}

function schedule() {
  if (timer !== null) clearTimeout(timer);
  timer = enabled && document.visibilityState === 'visible' ? setTimeout(() => void poll(), POLL_MS) : null;
}

async function poll() {
  timer = null;
  let response;
  try {
    response = await fetch(PATH, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    schedule();
    return;
  }
  if (response.status === 404) {
    // No outbox on this server (mail is sent, or the setting is off): nothing to show.
    enabled = false;
    byId('dev-outbox').hidden = true;
    byId('dev-outbox').setAttribute('data-outbox', 'off');
    return;
  }
  const data = response.ok ? await response.json().catch(() => null) : null;
  if (data !== null && typeof data === 'object' && data.development === true && Array.isArray(data.mail)) {
    enabled = true;
    byId('dev-outbox').hidden = false;
    byId('dev-outbox').setAttribute('data-outbox', 'on');
    render(data.mail.filter((m) => m !== null && typeof m === 'object'));
  }
  schedule();
}

/** Probes for the outbox once; when there is one, shows the panel and keeps it current. */
export function startOutbox() {
  byId('dev-outbox-reload').addEventListener('click', () => void poll());
  document.addEventListener('visibilitychange', () => {
    if (enabled && document.visibilityState === 'visible') void poll();
    else schedule();
  });
  return poll();
}

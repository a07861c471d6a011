// Page 2: who am I, how I am signed in, the expiries with a live countdown, sign out; the
// email's verification, an email change and deletion of the account (account-manage.js).
import { current, listSessions, signOut, whoami } from '../api.js';
import { loadConfig } from '../config.js';
import { byId, setText } from '../dom.js';
import { formatCountdown, formatDuration, formatTime, toDate } from '../format.js';
import { navigate } from '../router.js';
import { busy, report, say } from '../status.js';
import { clearManage, initManage, showEmailState } from './account-manage.js';
import { MODE_NAMES } from './signin.js';

let timer = null;
/** The times counted down: { id, at (ms), expiredText }. */
let countdowns = [];

function tick() {
  const now = Date.now();
  for (const c of countdowns) {
    const el = document.getElementById(c.id);
    if (el === null) continue;
    el.textContent = c.at === null ? '' : c.at > now ? '(in ' + formatCountdown(c.at - now) + ')' : '(' + c.expiredText + ')';
  }
}

function stop() {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

/** Requires a sign-in; otherwise goes to the sign-in page and says why. */
export function requireSignIn(what) {
  if (current().mode !== null) return true;
  say('You are not signed in. Sign in to see ' + what + '.', 'info');
  navigate('signin', { keepStatus: true });
  return false;
}

async function load() {
  const [me, sessions, config] = await Promise.all([whoami(), listSessions(), loadConfig()]);
  const auth = me.auth || {};
  const mode = auth.mode === 'jwt' ? 'jwt' : 'session';
  const row = sessions.find((s) => s.current === true) || null;

  setText('account-email', me.user && typeof me.user.email === 'string' ? me.user.email : 'unknown');
  showEmailState(me.user);
  setText('account-mode', MODE_NAMES[mode]);
  setText('account-session-id', typeof auth.id === 'string' ? auth.id : 'unknown');
  setText('account-expires-label', mode === 'jwt' ? 'Access token expires' : 'Session expires');
  setText('account-expires', formatTime(auth.expiresAt));

  const created = row ? toDate(row.createdAt) : null;
  const absolute = created ? created.getTime() + config.sessionAbsoluteTimeoutSeconds * 1000 : null;
  const rowExpires = row ? toDate(row.expiresAt) : null;
  // The API gives the earlier of the two expiries; the absolute one follows from the start.
  const idle = rowExpires === null ? null : absolute !== null && rowExpires.getTime() >= absolute - 1000 ? absolute : rowExpires.getTime();
  setText('account-created', row ? formatTime(row.createdAt) : 'unknown');
  setText('account-last-seen', row ? formatTime(row.lastSeenAt) : 'unknown');
  setText('account-idle', idle === null ? 'unknown' : formatTime(idle) + (idle === absolute ? ' (the absolute limit comes first)' : ''));
  setText('account-absolute', absolute === null ? 'unknown' : formatTime(absolute));

  const idleWords = formatDuration(config.sessionIdleTimeoutSeconds * 1000);
  const absoluteWords = formatDuration(config.sessionAbsoluteTimeoutSeconds * 1000);
  setText('account-note', mode === 'jwt'
    ? 'Your access token lives ' + formatDuration(config.accessTokenTtlSeconds * 1000) + '; this page renews it through the refresh cookie when it runs out. The refresh token ends after ' + idleWords + ' without use, and its session record ' + absoluteWords + ' after you signed in.'
    : 'Your session ends after ' + idleWords + ' without use (each visit moves that forward) and in any case ' + absoluteWords + ' after you signed in.');

  const expiresAt = toDate(auth.expiresAt);
  countdowns = [
    { id: 'account-expires-countdown', at: expiresAt ? expiresAt.getTime() : null, expiredText: mode === 'jwt' ? 'expired: renewed on your next action' : 'expired' },
    { id: 'account-idle-countdown', at: idle, expiredText: 'expired' },
    { id: 'account-absolute-countdown', at: absolute, expiredText: 'expired' },
  ];
  tick();
  stop();
  timer = setInterval(tick, 1000);
}

export function init() {
  initManage(load);
  byId('account-reload').addEventListener('click', (event) => {
    void busy(event.currentTarget, async () => {
      try {
        await load();
        say('Up to date.', 'ok');
      } catch (error) {
        report(error);
      }
    });
  });
  byId('account-logout').addEventListener('click', (event) => {
    void busy(event.currentTarget, async () => {
      try {
        await signOut();
        stop();
        say('Signed out.', 'ok');
        navigate('signin', { keepStatus: true });
      } catch (error) {
        report(error);
      }
    });
  });
}

export const page = {
  title: 'Account',
  async enter() {
    if (!requireSignIn('your account')) return;
    await load();
  },
  leave() {
    stop();
    clearManage();
  },
};

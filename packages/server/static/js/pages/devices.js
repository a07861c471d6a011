// Page 3: every session record of the user, either mode; end one, or all.
import { endSession, listSessions, signOutEverywhere } from '../api.js';
import { byId, h, replace, setText } from '../dom.js';
import { formatTime, relative } from '../format.js';
import { navigate } from '../router.js';
import { busy, report, say } from '../status.js';
import { requireSignIn } from './account.js';

const MODE_LABELS = { session: 'Session cookie', jwt: 'JWT' };

function text(value, fallback) {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function row(session) {
  const device = text(session.device, 'Unknown device');
  const isCurrent = session.current === true;
  const end = h('button', {
    type: 'button',
    className: isCurrent ? 'secondary small' : 'danger small',
    text: isCurrent ? 'End (sign out here)' : 'End',
    attrs: { 'aria-label': (isCurrent ? 'End this device\'s session and sign out: ' : 'End the session on ') + device + ', signed in ' + formatTime(session.createdAt) },
  });
  end.addEventListener('click', () => {
    void busy(end, async () => {
      try {
        await endSession(String(session.id));
        if (isCurrent) {
          say('You ended this device\'s session and are signed out.', 'ok');
          navigate('signin', { keepStatus: true });
          return;
        }
        say('Ended the session on ' + device + '. It is signed out from its next request.', 'ok');
        await load();
      } catch (error) {
        report(error);
      }
    });
  });
  const now = Date.now();
  return h('tr', { className: isCurrent ? 'current' : '' },
    h('th', { attrs: { scope: 'row' } }, device, isCurrent ? h('span', { className: 'tag', text: 'This device' }) : null),
    h('td', { className: 'ip', text: text(session.ip, 'unknown') }),
    h('td', { text: MODE_LABELS[session.mode] || text(session.mode, 'unknown') }),
    h('td', { text: formatTime(session.createdAt) }),
    h('td', {}, formatTime(session.lastSeenAt), h('br'), h('span', { className: 'hint', text: relative(session.lastSeenAt, now) })),
    h('td', {}, formatTime(session.expiresAt), h('br'), h('span', { className: 'hint', text: relative(session.expiresAt, now) })),
    h('td', {}, end),
  );
}

async function load() {
  const sessions = await listSessions();
  setText('devices-caption', sessions.length === 1 ? '1 active session' : sessions.length + ' active sessions');
  replace(byId('devices-rows'), ...sessions.map(row));
}

export function init() {
  byId('devices-reload').addEventListener('click', (event) => {
    void busy(event.currentTarget, async () => {
      try {
        await load();
        say('The list is up to date.', 'ok');
      } catch (error) {
        report(error);
      }
    });
  });
  byId('devices-logout-all').addEventListener('click', (event) => {
    void busy(event.currentTarget, async () => {
      try {
        await signOutEverywhere();
        say('Signed out everywhere: every session and token family of your account has ended.', 'ok');
        navigate('signin', { keepStatus: true });
      } catch (error) {
        report(error);
      }
    });
  });
}

export const page = {
  title: 'Devices',
  async enter() {
    if (!requireSignIn('your devices')) return;
    replace(byId('devices-rows'));
    await load();
  },
};

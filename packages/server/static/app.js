// Tessera web UI: a small single-page app in plain ES modules (no build step, no inline code:
// the page's Content-Security-Policy forbids it). Routes: #/signin, #/account, #/devices,
// #/inspector, #/lab, and the pages that mailed links open: #/verify-email, #/reset-password,
// #/confirm-email (with ?token=…, taken off the address at once: js/router.js). See js/api.js
// for how credentials are kept.
import { current, onChange, restore } from './js/api.js';
import { setText } from './js/dom.js';
import { startOutbox } from './js/outbox.js';
import * as account from './js/pages/account.js';
import * as confirmEmail from './js/pages/confirm-email.js';
import * as devices from './js/pages/devices.js';
import * as inspector from './js/pages/inspector.js';
import * as lab from './js/pages/lab.js';
import * as resetPassword from './js/pages/reset-password.js';
import * as signin from './js/pages/signin.js';
import * as verifyEmail from './js/pages/verify-email.js';
import { currentRoute, navigate, register, start, takeQuery } from './js/router.js';
import { report, say } from './js/status.js';

const PAGES = { signin, account, devices, inspector, lab, 'verify-email': verifyEmail, 'reset-password': resetPassword, 'confirm-email': confirmEmail };

function updateBadge() {
  const me = current();
  const email = me.user && typeof me.user.email === 'string' ? me.user.email : null;
  setText('whoami-badge', me.mode === null ? 'Not signed in' : 'Signed in as ' + (email || 'unknown') + ' · ' + (me.mode === 'jwt' ? 'JWT' : 'session cookie'));
}

onChange((reason) => {
  updateBadge();
  const route = currentRoute();
  if (reason === 'lost' || reason === 'other-tab') {
    say(reason === 'lost'
      ? 'You have been signed out: this sign-in was ended elsewhere or has expired. Sign in again to continue.'
      : 'You have been signed out in another tab.', 'error');
    navigate('signin', { keepStatus: true });
  } else if ((reason === 'restored' || reason === 'signed-in' || reason === 'signed-out') && (route === 'signin' || route === 'inspector')) {
    void PAGES[route].page.enter();
  }
});

for (const [name, module] of Object.entries(PAGES)) {
  module.init();
  register(name, module.page);
}

async function boot() {
  // A token in the address (a link from a mail) leaves it before anything else happens.
  takeQuery();
  void startOutbox();
  try {
    // Which cookie, if any, still signs this browser in; then show the page.
    await restore();
  } catch (error) {
    report(error);
  }
  updateBadge();
  await start(() => (current().mode === null ? 'signin' : 'account'));
  document.documentElement.setAttribute('data-ready', 'true');
}

void boot();

// Page: choose a new password with the link (or code) of a password reset mail. The rules are
// on the page before anything is submitted, as on the sign-up form.
import { confirmPasswordReset } from '../account-api.js';
import { describeError } from '../api.js';
import { loadConfig } from '../config.js';
import { byId, setText } from '../dom.js';
import { copyPasswordRules, showPasswordLimits, wireLengthCount, wireShowPassword } from '../password-field.js';
import { busy, say } from '../status.js';
import { isBadLink } from './mail-link.js';

let minLength = 15;
let maxLength = 1024;
/** The token of the link this page was opened with (kept in memory only), or null. */
let linkToken = null;
let updateCount = () => undefined;
let hidePasswords = () => undefined;

function clearPasswords() {
  byId('reset-password').value = '';
  byId('reset-password-again').value = '';
  hidePasswords();
  updateCount();
}

function showDone() {
  byId('reset-form').hidden = true;
  byId('reset-done').hidden = false;
}

export function init() {
  updateCount = wireLengthCount('reset-password', 'reset-password-count', () => ({ min: minLength, max: maxLength }));
  hidePasswords = wireShowPassword('reset-show-password', 'reset-password', 'reset-password-again');

  byId('reset-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const codeInput = byId('reset-code');
    const token = linkToken !== null ? linkToken : codeInput.value.trim();
    const password = byId('reset-password');
    const again = byId('reset-password-again');
    if (token === '') {
      say('Paste the code from the password reset mail, or open the link in it.', 'error');
      codeInput.focus();
      return;
    }
    if (password.value === '') {
      say('Enter your new password.', 'error');
      password.focus();
      return;
    }
    if (password.value !== again.value) {
      say('The two passwords are not the same. Type the new password again in both fields.', 'error');
      again.focus();
      return;
    }
    void busy(byId('reset-submit'), async () => {
      say('Setting your new password…', 'info');
      try {
        await confirmPasswordReset(token, password.value);
        linkToken = null;
        codeInput.value = '';
        clearPasswords();
        showDone();
        say('Your new password is set, and every device that was signed in to your account has been signed out. Sign in with the new password.', 'ok');
      } catch (error) {
        if (error.code === 'weak_password') {
          // The link is not spent when the password is refused: try another one.
          say(describeError(error), 'error');
          password.focus();
        } else if (isBadLink(error)) {
          say('This link does not work: it has already been used, has expired, or was not copied completely. Ask for a new one with "Forgot your password?" on the sign-in page.', 'error');
        } else {
          say(describeError(error), 'error');
        }
      }
    });
  });
}

export const page = {
  title: 'Choose a new password',
  async enter(params) {
    const token = params ? params.get('token') : null;
    linkToken = token !== null && token !== '' ? token : null;
    byId('reset-form').hidden = false;
    byId('reset-done').hidden = true;
    byId('reset-code').value = '';
    byId('reset-code-field').hidden = linkToken !== null;
    setText('reset-source', linkToken !== null
      ? 'You opened the link from your password reset mail: choose your new password below.'
      : 'Paste the code from your password reset mail, or open the link in it, then choose your new password.');
    clearPasswords();
    const config = await loadConfig();
    minLength = config.passwordMinLength;
    maxLength = config.passwordMaxLength;
    copyPasswordRules('reset-rules');
    showPasswordLimits(minLength, maxLength);
  },
  leave() {
    linkToken = null;
    clearPasswords();
  },
};

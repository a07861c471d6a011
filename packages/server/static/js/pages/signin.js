// Page 1: sign up and sign in, with the mode chosen explicitly.
import { current, describeError, register, signIn, signOut } from '../api.js';
import { loadConfig } from '../config.js';
import { byId, setText } from '../dom.js';
import { navigate } from '../router.js';
import { busy, say } from '../status.js';

export const MODE_NAMES = { session: 'a session cookie', jwt: 'a JWT (access token + rotating refresh token)' };

function wireShowPassword(checkboxId, inputId) {
  const box = byId(checkboxId);
  const input = byId(inputId);
  box.addEventListener('change', () => {
    input.type = box.checked ? 'text' : 'password';
  });
  return function hide() {
    box.checked = false;
    input.type = 'password';
  };
}

/** Length in code points, as the server counts it (after NFKC normalisation). */
function passwordLength(password) {
  return [...password.normalize('NFKC')].length;
}

let minLength = 15;
let maxLength = 1024;

function updateCount() {
  const password = byId('signup-password').value;
  const n = passwordLength(password);
  let text = '';
  if (n > 0 && n < minLength) text = n + (n === 1 ? ' character' : ' characters') + ' so far: ' + (minLength - n) + ' more needed.';
  else if (n > maxLength) text = n + ' characters: ' + (n - maxLength) + ' too many.';
  else if (n > 0) text = n + ' characters: long enough.';
  setText('signup-password-count', text);
}

export function init() {
  const hideSignup = wireShowPassword('signup-show-password', 'signup-password');
  const hideSignin = wireShowPassword('signin-show-password', 'signin-password');
  byId('signup-password').addEventListener('input', updateCount);

  const signupForm = byId('signup-form');
  signupForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const emailInput = byId('signup-email');
    const passwordInput = byId('signup-password');
    if (emailInput.value.trim() === '' || passwordInput.value === '') {
      say('Enter an email address and a password.', 'error');
      (emailInput.value.trim() === '' ? emailInput : passwordInput).focus();
      return;
    }
    void busy(byId('signup-submit'), async () => {
      say('Creating your account…', 'info');
      try {
        const data = await register(emailInput.value, passwordInput.value);
        const email = data.user && typeof data.user.email === 'string' ? data.user.email : emailInput.value.trim();
        passwordInput.value = '';
        hideSignup();
        updateCount();
        byId('signin-email').value = email;
        say('Account created for ' + email + '. Sign in now, with the way of staying signed in you prefer.', 'ok');
        byId('signin-password').focus();
      } catch (error) {
        say(describeError(error), 'error');
        passwordInput.focus();
      }
    });
  });

  const signinForm = byId('signin-form');
  signinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const emailInput = byId('signin-email');
    const passwordInput = byId('signin-password');
    if (emailInput.value.trim() === '' || passwordInput.value === '') {
      say('Enter your email address and your password.', 'error');
      (emailInput.value.trim() === '' ? emailInput : passwordInput).focus();
      return;
    }
    const mode = byId('mode-jwt').checked ? 'jwt' : 'session';
    void busy(byId('signin-submit'), async () => {
      say('Signing in…', 'info');
      try {
        const me = await signIn(emailInput.value, passwordInput.value, mode);
        passwordInput.value = '';
        hideSignin();
        const email = me.user && typeof me.user.email === 'string' ? me.user.email : emailInput.value.trim();
        say('Signed in as ' + email + ' with ' + MODE_NAMES[mode] + '.', 'ok');
        navigate('account', { keepStatus: true });
      } catch (error) {
        say(describeError(error), 'error');
        passwordInput.focus();
      }
    });
  });

  byId('signed-in-logout').addEventListener('click', (event) => {
    void busy(event.currentTarget, async () => {
      try {
        await signOut();
        say('Signed out.', 'ok');
        render();
      } catch (error) {
        say(describeError(error), 'error');
      }
    });
  });
}

function render() {
  const me = current();
  const signedIn = me.mode !== null;
  byId('signed-in-panel').hidden = !signedIn;
  byId('signin-forms').hidden = signedIn;
  if (signedIn) {
    setText('signed-in-email', me.user && typeof me.user.email === 'string' ? me.user.email : 'an unknown user');
    setText('signed-in-mode', MODE_NAMES[me.mode]);
  }
}

export const page = {
  title: 'Sign in',
  async enter() {
    render();
    const config = await loadConfig();
    minLength = config.passwordMinLength;
    maxLength = config.passwordMaxLength;
    setText('rule-min-length', minLength);
    setText('rule-max-length', maxLength);
  },
};

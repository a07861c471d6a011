// Page 1: sign up and sign in, with the mode chosen explicitly; "forgot your password?".
import { requestPasswordReset } from '../account-api.js';
import { current, describeError, describeWait, register, signIn, signOut } from '../api.js';
import { loadConfig } from '../config.js';
import { byId, setText } from '../dom.js';
import { showPasswordLimits, wireLengthCount, wireShowPassword } from '../password-field.js';
import { navigate } from '../router.js';
import { busy, say } from '../status.js';

export const MODE_NAMES = { session: 'a session cookie', jwt: 'a JWT (access token + rotating refresh token)' };

let minLength = 15;
let maxLength = 1024;

function wireForgot() {
  const details = byId('forgot');
  // Opening it starts from the address typed for sign-in, if any. (A click on the summary, by
  // pointer or keyboard, comes before the disclosure opens, so the field is never seen empty.)
  details.querySelector('summary').addEventListener('click', () => {
    const email = byId('forgot-email');
    if (!details.open && email.value === '') email.value = byId('signin-email').value.trim();
  });
  byId('forgot-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const emailInput = byId('forgot-email');
    const email = emailInput.value.trim();
    if (email === '') {
      say('Enter the email address of your account.', 'error');
      emailInput.focus();
      return;
    }
    void busy(byId('forgot-submit'), async () => {
      say('Asking for a reset link…', 'info');
      try {
        await requestPasswordReset(email);
        // The same answer whether or not the account exists (docs/security.md): so is this text.
        say('If an account exists for ' + email + ', a mail with a link to choose a new password is on its way. The link works once and for a limited time; if nothing arrives, check the address and your spam folder.', 'ok');
      } catch (error) {
        say(error.status === 429 ? 'Reset links for this address, or from your network, were asked for too often. ' + describeWait(error.retryAfter) : describeError(error), 'error');
        emailInput.focus();
      }
    });
  });
}

export function init() {
  const hideSignup = wireShowPassword('signup-show-password', 'signup-password');
  const hideSignin = wireShowPassword('signin-show-password', 'signin-password');
  const updateCount = wireLengthCount('signup-password', 'signup-password-count', () => ({ min: minLength, max: maxLength }));
  wireForgot();

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
        say('Account created for ' + email + '. We have mailed you a link to verify the address. Sign in now, with the way of staying signed in you prefer.', 'ok');
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
    showPasswordLimits(minLength, maxLength);
  },
};

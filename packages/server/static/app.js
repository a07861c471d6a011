// Tessera web UI. Plain JavaScript, no build step, no inline code (the page's CSP forbids it).
// Rules kept here on purpose:
// - every value from the server or the user reaches the page through textContent, never as HTML;
// - the JWT access token lives in one variable of this closure: never in web storage, a
//   cookie readable by scripts, or the DOM; a reload forgets it and the HttpOnly refresh
//   cookie (scoped to /auth/refresh) gets a new one;
// - the refresh token in response bodies is ignored: the HttpOnly cookie carries it.
(function () {
  'use strict';

  /** @type {string | null} The access token of JWT mode (memory only). */
  let accessToken = null;
  /** @type {'session' | 'jwt' | null} How we believe we are signed in; null = unknown. */
  let currentMode = null;

  const MODE_NAMES = { session: 'a session cookie', jwt: 'a JWT (access token + rotating refresh token)' };

  function $(id) {
    const el = document.getElementById(id);
    if (el === null) throw new Error('The page is missing #' + id);
    return el;
  }

  const statusEl = $('status');

  /** Shows a message in the live region, in plain words. */
  function say(message, kind) {
    statusEl.textContent = message;
    statusEl.className = kind ? 'status ' + kind : 'status';
  }

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  /** Shows an error: the server's own message, plus when to retry if it said so. */
  function showError(error) {
    if (error instanceof ApiError) {
      let text = error.message;
      const seconds = Number(error.retryAfter);
      if ((error.status === 429 || error.status === 503) && Number.isFinite(seconds) && seconds > 0) {
        text += ' You can try again in ' + Math.ceil(seconds) + (Math.ceil(seconds) === 1 ? ' second.' : ' seconds.');
      }
      say(text, 'error');
    } else {
      say('Something went wrong in this page. Reload it and try again.', 'error');
    }
  }

  /**
   * One JSON request to the API. Bodies are JSON with Content-Type: application/json;
   * cookies go along on this origin only. Resolves to the parsed body (null for 204).
   */
  async function api(method, path, body, withBearer) {
    const headers = { Accept: 'application/json' };
    const init = { method: method, headers: headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (withBearer && accessToken !== null) headers.Authorization = 'Bearer ' + accessToken;

    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.', null);
    }
    if (response.status === 204) return null;

    let data = null;
    try {
      const text = await response.text();
      data = text === '' ? null : JSON.parse(text);
    } catch {
      data = null;
    }
    if (!response.ok) {
      const err = data !== null && typeof data === 'object' ? data.error : undefined;
      const hasMessage = err !== null && typeof err === 'object' && typeof err.message === 'string';
      throw new ApiError(
        response.status,
        hasMessage && typeof err.code === 'string' ? err.code : 'http_' + response.status,
        hasMessage ? err.message : 'The server answered with an unexpected error (HTTP ' + response.status + ').',
        response.headers.get('Retry-After'),
      );
    }
    if (data === null || typeof data !== 'object') {
      throw new ApiError(response.status, 'bad_response', 'The server sent an answer this page does not understand.', null);
    }
    return data;
  }

  /** Trades the HttpOnly refresh cookie for a new access token (the cookie rotates too). */
  async function refresh() {
    const data = await api('POST', '/auth/refresh', {}, false);
    if (typeof data.accessToken !== 'string') {
      throw new ApiError(200, 'bad_response', 'The server sent an answer this page does not understand.', null);
    }
    accessToken = data.accessToken;
    currentMode = 'jwt';
  }

  /**
   * A request as the signed-in user. On 401, unless we know we use a session cookie, tries
   * the refresh cookie once (the access token expired, or a reload forgot it) and retries.
   */
  async function authed(method, path, body) {
    try {
      return await api(method, path, body, true);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || currentMode === 'session') throw error;
      try {
        await refresh();
      } catch {
        accessToken = null;
        throw error;
      }
      return api(method, path, body, true);
    }
  }

  function formatTime(value) {
    if (typeof value !== 'string' && typeof value !== 'number') return 'unknown';
    const date = new Date(typeof value === 'number' && value < 1e12 ? value * 1000 : value);
    return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
  }

  function showSignedIn(me) {
    const user = me.user !== null && typeof me.user === 'object' ? me.user : {};
    const auth = me.auth !== null && typeof me.auth === 'object' ? me.auth : {};
    $('whoami-email').textContent = typeof user.email === 'string' ? user.email : 'unknown';
    $('whoami-mode').textContent = auth.mode === 'jwt' || auth.mode === 'session' ? MODE_NAMES[auth.mode] : 'unknown';
    $('whoami-id').textContent = typeof auth.id === 'string' ? auth.id : 'unknown';
    $('whoami-expires').textContent = formatTime(auth.expiresAt);
    $('whoami-details').hidden = false;
    $('whoami-empty').hidden = true;
  }

  function showSignedOut() {
    for (const id of ['whoami-email', 'whoami-mode', 'whoami-id', 'whoami-expires']) $(id).textContent = '';
    $('whoami-details').hidden = true;
    $('whoami-empty').hidden = false;
  }

  function forget() {
    accessToken = null;
    currentMode = null;
    showSignedOut();
  }

  /** GET /auth/me and show the answer. `quiet` speaks only on errors other than 401. */
  async function whoami(quiet) {
    try {
      const me = await authed('GET', '/auth/me');
      showSignedIn(me);
      if (me.auth && (me.auth.mode === 'jwt' || me.auth.mode === 'session')) currentMode = me.auth.mode;
      if (!quiet) {
        const email = me.user && typeof me.user.email === 'string' ? me.user.email : 'an unknown user';
        say('You are signed in as ' + email + ' with ' + (MODE_NAMES[currentMode] || 'an unknown method') + '.', 'ok');
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        forget();
        if (!quiet) say('You are not signed in.', 'info');
      } else {
        showError(error);
      }
    }
  }

  /** Disables a form's controls while its request runs. */
  function setBusy(form, submit, busy) {
    submit.disabled = busy;
    form.setAttribute('aria-busy', busy ? 'true' : 'false');
  }

  function wireShowPassword(checkboxId, inputId) {
    const box = $(checkboxId);
    const input = $(inputId);
    box.addEventListener('change', function () {
      input.type = box.checked ? 'text' : 'password';
    });
    return function hide() {
      box.checked = false;
      input.type = 'password';
    };
  }

  const hideSignupPassword = wireShowPassword('signup-show-password', 'signup-password');
  const hideSigninPassword = wireShowPassword('signin-show-password', 'signin-password');

  const signupForm = $('signup-form');
  signupForm.addEventListener('submit', async function (event) {
    event.preventDefault();
    const submit = $('signup-submit');
    const emailInput = $('signup-email');
    const passwordInput = $('signup-password');
    setBusy(signupForm, submit, true);
    say('Creating your account…', 'info');
    try {
      const data = await api('POST', '/auth/register', { email: emailInput.value, password: passwordInput.value }, false);
      const email = data.user && typeof data.user.email === 'string' ? data.user.email : emailInput.value.trim();
      passwordInput.value = '';
      hideSignupPassword();
      $('signin-email').value = email;
      say('Account created for ' + email + '. You can sign in now.', 'ok');
    } catch (error) {
      showError(error);
    } finally {
      setBusy(signupForm, submit, false);
    }
  });

  const signinForm = $('signin-form');
  signinForm.addEventListener('submit', async function (event) {
    event.preventDefault();
    const submit = $('signin-submit');
    const emailInput = $('signin-email');
    const passwordInput = $('signin-password');
    const mode = $('mode-jwt').checked ? 'jwt' : 'session';
    setBusy(signinForm, submit, true);
    say('Signing in…', 'info');
    try {
      const data = await api('POST', '/auth/login', { email: emailInput.value, password: passwordInput.value, mode: mode }, false);
      passwordInput.value = '';
      hideSigninPassword();
      if (mode === 'jwt') {
        if (typeof data.accessToken !== 'string') {
          throw new ApiError(200, 'bad_response', 'The server sent an answer this page does not understand.', null);
        }
        accessToken = data.accessToken; // data.refreshToken is ignored on purpose: the HttpOnly cookie has it.
      } else {
        accessToken = null;
      }
      currentMode = mode;
      const email = data.user && typeof data.user.email === 'string' ? data.user.email : emailInput.value.trim();
      say('Signed in as ' + email + ' with ' + MODE_NAMES[mode] + '.', 'ok');
      await whoami(true);
    } catch (error) {
      showError(error);
    } finally {
      setBusy(signinForm, submit, false);
    }
  });

  const whoamiButton = $('whoami-button');
  whoamiButton.addEventListener('click', async function () {
    whoamiButton.disabled = true;
    try {
      await whoami(false);
    } finally {
      whoamiButton.disabled = false;
    }
  });

  const logoutButton = $('logout-button');
  logoutButton.addEventListener('click', async function () {
    logoutButton.disabled = true;
    try {
      await authed('POST', '/auth/logout', {});
      forget();
      say('Signed out.', 'ok');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        forget();
        say('You were not signed in.', 'info');
      } else {
        showError(error);
      }
    } finally {
      logoutButton.disabled = false;
    }
  });

  // On load: find out whether a session cookie or a refresh cookie still signs us in.
  void whoami(true);
})();

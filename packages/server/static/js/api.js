// Talking to the Tessera API, and the signed-in state of this tab.
//
// Rules kept here on purpose:
// - the JWT access token lives in one module variable: never in web storage,
//   a script-readable cookie or the URL. A reload forgets it; the HttpOnly refresh cookie
//   (scoped to /auth/refresh) then gets a new one. The refresh token that response bodies
//   also carry is ignored: the cookie has it.
// - refresh is single-flight within the tab (one shared promise) and across the tabs of this
//   browser (the Web Lock "tessera-refresh"): two tabs never present the same refresh token
//   at once. The second tab to get the lock presents the cookie's *current* value, which the
//   first tab's rotation already replaced: a normal rotation, not reuse. (The server would
//   also accept the immediate predecessor for a few seconds, for browsers without Web Locks.)
//   Each tab keeps its own access token, so a tab whose token expired still refreshes even
//   when another tab has just done so.
// - other tabs learn about sign-in, sign-out and refreshes over a BroadcastChannel that
//   carries no secret: only the event and, for a refresh, the new expiry time.

/** An error answer of the API (or a network failure: status 0). */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Thrown by {@link authed} when this tab's sign-in has ended (elsewhere, or expired). */
export class SignedOutError extends ApiError {
  constructor() {
    super(401, 'signed_out', 'You have been signed out.', null);
    this.name = 'SignedOutError';
  }
}

/** Messages in plain words for codes whose server message is terse; the server's otherwise. */
const PLAIN_WORDS = {
  invalid_credentials: 'That email and password do not match an account. Check both and try again.',
  email_taken: 'An account with this email already exists. Sign in instead, or use another email.',
  invalid_request: 'The server could not understand this request. Check the fields and try again.',
  forbidden: 'The server refused this request because it did not come from this page.',
  unavailable: 'The server is temporarily unavailable.',
  rate_limited: 'Too many attempts in a short time.',
  payload_too_large: 'What you entered is too long.',
};

/**
 * Plain words for server messages that one code covers several ways (403 `forbidden` is a
 * disabled account, an unverified one, or a cross-site request), keyed by the server's exact
 * message (packages/tessera/src/auth/). `wait: false`: no "try again in" (it would not help).
 */
const PLAIN_MESSAGES = {
  'This account is disabled.': { text: 'This account is disabled, so it cannot be used. If you think this is a mistake, ask the administrator of this service to enable it again.' },
  'Verify your email address first: a link has been sent to it.': { text: 'Your email address is not verified yet, and this server requires it before you can sign in. We have mailed you a link to verify it: open it, then sign in again.' },
  'The link is invalid or has expired.': { text: 'This link does not work: it has already been used, has expired, or was not copied completely.' },
  'The email address is already verified.': { text: 'Your email address is already verified: there is nothing more to do.' },
  'newEmail is already the email address of this account.': { text: 'That is already the email address of your account.' },
  'The current password is incorrect.': { text: 'Your current password is not correct. Check it and try again.' },
  'Mail delivery is not configured on this server.': { text: 'This server is not set up to send mail, so it cannot send this message. Ask its administrator.', wait: false },
};

/** "12 seconds", "about 4 minutes", "about 2 hours". */
function waitWords(seconds) {
  const n = Math.ceil(seconds);
  if (n < 120) return n + (n === 1 ? ' second' : ' seconds');
  if (n < 7200) return 'about ' + Math.ceil(n / 60) + ' minutes';
  return 'about ' + Math.ceil(n / 3600) + ' hours';
}

/** "Wait 12 seconds before trying again.", from a Retry-After value (seconds), or without a number when there is none. */
export function describeWait(retryAfter) {
  const seconds = Number(retryAfter);
  if (retryAfter === null || retryAfter === undefined || !Number.isFinite(seconds) || seconds <= 0) return 'Wait a while before trying again.';
  return 'Wait ' + waitWords(seconds) + ' before trying again.';
}

/** The text to show for an error, in plain words, with when to retry if the server said so. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return 'Something went wrong in this page. Reload it and try again.';
  const known = Object.hasOwn(PLAIN_MESSAGES, error.message) ? PLAIN_MESSAGES[error.message] : null;
  let text = known !== null ? known.text : error.code === 'weak_password' ? error.message : PLAIN_WORDS[error.code] || error.message;
  const seconds = Number(error.retryAfter);
  if ((error.status === 429 || error.status === 503) && Number.isFinite(seconds) && seconds > 0 && !(known !== null && known.wait === false)) {
    text += ' You can try again in ' + waitWords(seconds) + '.';
  }
  return text;
}

const UNEXPECTED = 'The server sent an answer this page does not understand.';

/**
 * One JSON request. Options: `body` (sent as JSON), `bearer` (an access token), `credentials`
 * ('same-origin' by default; 'omit' sends and stores no cookie). Resolves to the parsed body,
 * or null for 204; rejects with an {@link ApiError}.
 */
export async function request(method, path, options) {
  const opts = options || {};
  const headers = { Accept: 'application/json' };
  const init = { method: method, headers: headers, credentials: opts.credentials || 'same-origin', cache: 'no-store' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  if (typeof opts.bearer === 'string') headers.Authorization = 'Bearer ' + opts.bearer;

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
    const known = err !== null && typeof err === 'object' && typeof err.message === 'string' && typeof err.code === 'string';
    throw new ApiError(
      response.status,
      known ? err.code : 'http_' + response.status,
      known ? err.message : 'The server answered with an unexpected error (HTTP ' + response.status + ').',
      response.headers.get('Retry-After'),
    );
  }
  if (data === null || typeof data !== 'object') throw new ApiError(response.status, 'bad_response', UNEXPECTED, null);
  return data;
}

function is401(error) {
  return error instanceof ApiError && error.status === 401;
}

/**
 * A 401 that says the credential no longer works. A wrong *current* password (401
 * `invalid_credentials` of an email change or an account deletion) is not one: the sign-in is
 * fine, only the password typed was wrong.
 */
function isCredentialRefused(error) {
  return is401(error) && error.code !== 'invalid_credentials';
}

// ---- The state of this tab ------------------------------------------------------------

/** @type {{ mode: 'session' | 'jwt' | null, accessToken: string | null, accessExpiresAt: number, user: object | null, sessionId: string | null, expiresAt: string | null }} */
const state = { mode: null, accessToken: null, accessExpiresAt: 0, user: null, sessionId: null, expiresAt: null };

/** What the page may show about the sign-in (never the token itself). */
export function current() {
  return {
    mode: state.mode,
    user: state.user,
    sessionId: state.sessionId,
    expiresAt: state.expiresAt,
    accessExpiresAt: state.mode === 'jwt' ? state.accessExpiresAt : null,
  };
}

/** The access token, for the token inspector's "use my current access token" button only. */
export function currentAccessToken() {
  return state.mode === 'jwt' ? state.accessToken : null;
}

const listeners = new Set();

/**
 * Calls `fn(reason)` when the state changes. Reasons: 'signed-in', 'signed-out' (here),
 * 'lost' (ended elsewhere or expired: noticed on this tab's next request), 'other-tab'
 * (signed out in another tab), 'refreshed', 'restored', 'anonymous', 'updated' (the user's
 * details changed).
 */
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed(reason) {
  for (const fn of listeners) {
    try {
      fn(reason);
    } catch (error) {
      console.error(error);
    }
  }
}

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('tessera') : null;

function broadcast(message) {
  if (channel !== null) channel.postMessage(message);
}

if (channel !== null) {
  channel.addEventListener('message', (event) => {
    const data = event.data;
    if (data === null || typeof data !== 'object') return;
    // 'refreshed' needs nothing here: this tab keeps its own access token, and its next
    // refresh presents the cookie's current value (already rotated by the other tab).
    if (data.type === 'signed-out' && state.mode !== null) {
      // The cookie (session) or the refresh family (JWT) the tabs share has ended.
      forget();
      changed('other-tab');
    } else if (data.type === 'signed-in' && state.mode === null) {
      restore().catch(() => undefined);
    }
  });
}

function forget() {
  state.mode = null;
  state.accessToken = null;
  state.accessExpiresAt = 0;
  state.user = null;
  state.sessionId = null;
  state.expiresAt = null;
}

function adoptMe(me, mode) {
  const auth = me.auth !== null && typeof me.auth === 'object' ? me.auth : {};
  state.mode = auth.mode === 'jwt' || auth.mode === 'session' ? auth.mode : mode;
  state.user = me.user !== null && typeof me.user === 'object' ? me.user : null;
  state.sessionId = typeof auth.id === 'string' ? auth.id : null;
  state.expiresAt = typeof auth.expiresAt === 'string' ? auth.expiresAt : null;
  if (state.mode !== 'jwt') {
    state.accessToken = null;
    state.accessExpiresAt = 0;
  }
}

function setAccessToken(data) {
  if (typeof data.accessToken !== 'string' || typeof data.expiresIn !== 'number') {
    throw new ApiError(200, 'bad_response', UNEXPECTED, null);
  }
  state.mode = 'jwt';
  state.accessToken = data.accessToken;
  // From our own clock and expiresIn, so a skewed clock does not refresh too late.
  state.accessExpiresAt = Date.now() + data.expiresIn * 1000;
}

// ---- Refresh: single-flight in the tab and across tabs --------------------------------

let inflight = null;

function withRefreshLock(fn) {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks && typeof locks.request === 'function') return locks.request('tessera-refresh', { mode: 'exclusive' }, fn);
  return fn();
}

async function rotate() {
  // Holding the lock: no other tab of this browser is refreshing. If one just did, the
  // cookie already holds its successor token, and presenting it is an ordinary rotation.
  const data = await request('POST', '/auth/refresh', { body: {} });
  setAccessToken(data);
  broadcast({ type: 'refreshed', expiresAt: state.accessExpiresAt });
  changed('refreshed');
  return state.accessExpiresAt;
}

/**
 * Trades the HttpOnly refresh cookie for a new access token (the cookie rotates too).
 * Concurrent calls in this tab share one request; tabs take turns through the Web Lock.
 * Resolves to the new access-token expiry (ms).
 */
export function refresh() {
  if (inflight === null) {
    inflight = Promise.resolve()
      .then(() => withRefreshLock(rotate))
      .finally(() => {
        inflight = null;
      });
  }
  return inflight;
}

/** Refreshes before a request when the access token is missing or about to expire. */
const REFRESH_EARLY_MS = 5000;

function lose() {
  // Several requests in flight may all learn it; the page hears it once.
  if (state.mode !== null) {
    forget();
    changed('lost');
  }
  return new SignedOutError();
}

async function refreshOrLose() {
  try {
    await refresh();
  } catch (error) {
    if (is401(error)) throw lose();
    throw error;
  }
}

function bearer() {
  return state.mode === 'jwt' && state.accessToken !== null ? state.accessToken : undefined;
}

/**
 * A request as the signed-in user: Bearer in JWT mode (refreshed first when about to expire,
 * and once more on a 401), the session cookie otherwise. When the sign-in has ended, the
 * state is cleared, listeners hear 'lost', and a {@link SignedOutError} is thrown.
 */
export async function authed(method, path, body) {
  if (state.mode === 'jwt' && (state.accessToken === null || Date.now() >= state.accessExpiresAt - REFRESH_EARLY_MS)) {
    await refreshOrLose();
  }
  const mode = state.mode;
  try {
    return await request(method, path, { body: body, bearer: bearer() });
  } catch (error) {
    if (!isCredentialRefused(error) || mode === null) throw error;
    // Signed in when the request left: the sign-in has ended (a sibling request may have
    // found out first), or, with a JWT, the access token needs renewing.
    if (mode === 'session' || state.mode === null) throw lose();
    await refreshOrLose();
    try {
      return await request(method, path, { body: body, bearer: bearer() });
    } catch (again) {
      if (isCredentialRefused(again)) throw lose();
      throw again;
    }
  }
}

// ---- Operations -----------------------------------------------------------------------

/** Asks the server who we are and remembers the answer. */
export async function whoami() {
  const me = await authed('GET', '/auth/me');
  adoptMe(me, state.mode);
  return me;
}

/**
 * On page load: a session cookie first, then the refresh cookie. Resolves to the mode, or
 * null when neither signs us in.
 */
export async function restore() {
  try {
    const me = await request('GET', '/auth/me');
    adoptMe(me, 'session');
    changed('restored');
    return state.mode;
  } catch (error) {
    if (!is401(error)) throw error;
  }
  try {
    await refresh();
    const me = await request('GET', '/auth/me', { bearer: bearer() });
    adoptMe(me, 'jwt');
    changed('restored');
    return state.mode;
  } catch (error) {
    if (!is401(error)) throw error;
    forget();
    changed('anonymous');
    return null;
  }
}

export async function register(email, password) {
  return request('POST', '/auth/register', { body: { email: email, password: password } });
}

/** Signs in with the chosen mode, then loads who we are. */
export async function signIn(email, password, mode) {
  const data = await request('POST', '/auth/login', { body: { email: email, password: password, mode: mode } });
  forget();
  if (mode === 'jwt') {
    setAccessToken(data);
  } else {
    state.mode = 'session';
  }
  const me = await request('GET', '/auth/me', { bearer: bearer() });
  adoptMe(me, mode);
  broadcast({ type: 'signed-in' });
  changed('signed-in');
  return me;
}

function signedOutHere() {
  forget();
  broadcast({ type: 'signed-out' });
  changed('signed-out');
}

/**
 * Forgets this tab's sign-in after the server itself ended it (the account was deleted, or a
 * password reset signed out every device), and tells the other tabs. Nothing to send.
 */
export function endedHere() {
  if (state.mode !== null) signedOutHere();
}

/** Asks the server who we are again (the email changed) and lets the page know. */
export async function reloadUser() {
  if (state.mode === null) return;
  await whoami();
  changed('updated');
}

/** Ends this sign-in (POST /auth/logout). Already signed out counts as done. */
export async function signOut() {
  try {
    await authed('POST', '/auth/logout', {});
  } catch (error) {
    if (!(error instanceof SignedOutError)) throw error;
    return;
  }
  signedOutHere();
}

/** Ends every session record of the user (POST /auth/logout-all). */
export async function signOutEverywhere() {
  await authed('POST', '/auth/logout-all', {});
  signedOutHere();
}

/** The session records of the user (GET /auth/sessions). */
export async function listSessions() {
  const data = await authed('GET', '/auth/sessions');
  return Array.isArray(data.sessions) ? data.sessions : [];
}

/** Ends one session record; ending this tab's own signs it out. */
export async function endSession(id) {
  await authed('DELETE', '/auth/sessions/' + encodeURIComponent(id));
  if (id === state.sessionId) signedOutHere();
}

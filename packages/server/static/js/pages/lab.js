// Page 5: the lab. The same user signed in twice, once per mode; the bytes each request
// carries, the state the server keeps, and what happens after a revocation as seen by Tessera
// and by a stateless third party that only has the JWKS. Plus the benchmark charts
// (lab-bench.js).
import { ApiError, current, currentAccessToken, describeError, request } from '../api.js';
import { barChart } from '../chart.js';
import { loadConfig } from '../config.js';
import { byId, h, replace, setText } from '../dom.js';
import { formatBytes, formatDuration, formatTime } from '../format.js';
import { busy, say } from '../status.js';
import { verifyWithJwks } from '../verifier.js';
import { enterBench, initBench, leaveBench } from './lab-bench.js';

/** Session credential format: a 22-character id, a dot, a 43-character secret. */
const CREDENTIAL_LENGTH = 22 + 1 + 43;

/**
 * The lab's own sign-ins. The JWT's access token stays in this variable (memory only); its
 * refresh token is not kept at all (the lab's JWT sign-in stores no cookie: credentials
 * 'omit'), so it cannot disturb the refresh cookie of this tab's own sign-in.
 */
let lab = null;
let timer = null;

function status(ok, text) {
  return [h('span', { className: ok ? 'pill ok' : 'pill error', text: ok ? 'accepted' : 'refused' }), ' ', text];
}

/** Tries the request with each way of authenticating in turn until one is not a 401. */
async function withAnyCredential(method, path, ways) {
  let last = null;
  for (const way of ways) {
    try {
      return await request(method, path, way);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      last = error;
    }
  }
  throw last || new ApiError(401, 'unauthorized', 'No credential of the lab is still accepted.', null);
}

/** Ways to authenticate a lab request, best first: the lab's JWT, this tab's JWT, the cookie. */
function ways(excludeCookie) {
  const list = [];
  if (lab !== null && !lab.jwt.revoked) list.push({ bearer: lab.jwt.token, credentials: 'omit' });
  const own = currentAccessToken();
  if (own !== null) list.push({ bearer: own, credentials: 'omit' });
  if (!excludeCookie && lab !== null && !lab.session.revoked) list.push({ credentials: 'same-origin' });
  return list;
}

async function checkSessionWithTessera() {
  try {
    const me = await request('GET', '/auth/me', { credentials: 'same-origin' });
    const id = me.auth && me.auth.id;
    if (id !== lab.session.id) {
      replace(byId('lab-session-tessera'), 'This browser\'s session cookie now belongs to another sign-in. Sign in to the lab again.');
      return;
    }
    replace(byId('lab-session-tessera'), ...status(true, '200 OK: the cookie\'s record exists, so Tessera accepts it (one store lookup per request).'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      replace(byId('lab-session-tessera'), ...status(false, '401: refused at once. The record is gone, and every request looks it up.'));
    } else {
      replace(byId('lab-session-tessera'), describeError(error));
    }
  }
}

async function checkJwtWithTessera() {
  try {
    await request('GET', '/auth/me', { bearer: lab.jwt.token, credentials: 'omit' });
    replace(byId('lab-jwt-tessera'), ...status(true, '200 OK: valid signature, and its session record is not on the revocation list.'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      const why = error.code === 'token_expired' ? 'the token has expired.' : 'Tessera checks its in-memory revocation list on every request, and the token\'s session is on it.';
      replace(byId('lab-jwt-tessera'), ...status(false, '401: refused at once: ' + why));
    } else {
      replace(byId('lab-jwt-tessera'), describeError(error));
    }
  }
}

function sessionThirdParty() {
  replace(byId('lab-session-thirdparty'),
    h('span', { className: 'pill neutral', text: 'no meaning' }),
    ' The cookie is an opaque random string: without Tessera\'s database a third party can learn nothing from it, valid or not. (The browser never sends it to other sites anyway.) So every check is a question to Tessera, and a revocation counts at once.');
}

/** The third-party verdict on the lab's JWT, with "still valid for N s" counting down. */
async function checkJwtThirdParty() {
  const result = await verifyWithJwks(lab.jwt.token);
  lab.jwt.thirdPartyValid = result.valid;
  lab.jwt.exp = result.claims && Number.isSafeInteger(result.claims.exp) ? result.claims.exp : null;
  renderThirdParty();
}

function renderThirdParty() {
  const target = byId('lab-jwt-thirdparty');
  const left = lab.jwt.exp === null ? 0 : lab.jwt.exp - Math.floor(Date.now() / 1000);
  if (!lab.jwt.thirdPartyValid || left <= 0) {
    replace(target, ...status(false, 'The token has expired: now every verifier refuses it.'));
    return;
  }
  const text = lab.jwt.revoked
    ? 'Still valid for ' + left + ' s (' + formatDuration(left * 1000) + ') although Tessera has revoked it: the signature and the expiry are all a stateless verifier can check.'
    : 'Valid for ' + left + ' s (' + formatDuration(left * 1000) + '): signature and claims check out with the public key.';
  replace(target, ...status(true, text));
}

async function checkAll() {
  await Promise.all([checkSessionWithTessera(), checkJwtWithTessera(), checkJwtThirdParty()]);
  sessionThirdParty();
  await showRecords();
}

async function showRecords() {
  let sessions = null;
  try {
    const data = await withAnyCredential('GET', '/auth/sessions', ways(true));
    sessions = Array.isArray(data.sessions) ? data.sessions : [];
  } catch {
    sessions = null;
  }
  for (const [which, id] of [['session', lab.session.id], ['jwt', lab.jwt.sid]]) {
    const list = byId('lab-' + which + '-record');
    const row = sessions === null ? undefined : sessions.find((s) => s.id === id);
    if (row === undefined) {
      replace(list, h('dt', { text: 'Record' }), h('dd', { text: sessions === null ? 'cannot be listed any more (no lab credential is still accepted)' : 'ended: no longer in the sessions table' }));
      continue;
    }
    replace(list,
      h('dt', { text: 'Record' }), h('dd', { className: 'mono', text: String(row.id) }),
      h('dt', { text: 'Device' }), h('dd', { text: String(row.device) }),
      h('dt', { text: 'Last seen' }), h('dd', { text: formatTime(row.lastSeenAt) }),
      h('dt', { text: 'Expires' }), h('dd', { text: formatTime(row.expiresAt) }),
    );
  }
}

function renderBytes(config) {
  const cookieName = config.cookieNames.session;
  const cookieBytes = cookieName.length + 1 + CREDENTIAL_LENGTH;
  const bearerBytes = 'Bearer '.length + lab.jwt.token.length;
  setText('lab-session-header', 'Cookie: ' + cookieName + '=<22-character id>.<43-character secret>');
  setText('lab-session-bytes', formatBytes(cookieBytes) + ' (' + formatBytes(cookieBytes + 'Cookie: '.length) + ' with the header name)');
  setText('lab-jwt-header', 'Authorization: Bearer ' + lab.jwt.token.slice(0, 20) + '… (' + lab.jwt.token.length + ' characters)');
  setText('lab-jwt-bytes', formatBytes(bearerBytes) + ' (' + formatBytes(bearerBytes + 'Authorization: '.length) + ' with the header name)');
  replace(byId('lab-bytes-chart'), barChart('Bytes each request carries', [
    { label: 'Session cookie', value: cookieBytes, kind: 'session', valueText: formatBytes(cookieBytes) },
    { label: 'JWT (Bearer)', value: bearerBytes, kind: 'jwt', valueText: formatBytes(bearerBytes) },
  ]));

  const idle = formatDuration(config.sessionIdleTimeoutSeconds * 1000);
  setText('lab-session-state', 'One row in the sessions table: id, SHA-256 hash of the secret, user, device, IP, created, last seen, idle and absolute expiry. Read on every request; the last-seen time is written at most every few minutes.');
  setText('lab-jwt-state', 'One row in the same table: the refresh-token family, with the hash of the current refresh token, the previous one and when it rotated (for the ' + config.refreshReuseLeewaySeconds + ' s leeway of parallel tabs), and its generation. Read only on refresh (every ' + formatDuration(config.accessTokenTtlSeconds * 1000) + ' at most; idle expiry ' + idle + '). The access token itself needs no state: any server checks it with the public key. Once revoked, its session id also sits in an in-memory revocation list until its last access token expires.');
}

function tick() {
  if (lab !== null && lab.jwt.thirdPartyValid) renderThirdParty();
}

async function startLab(email, password) {
  const config = await loadConfig();
  // Session mode: the browser stores the HttpOnly cookie (replacing any it had).
  const viaSession = await request('POST', '/auth/login', { body: { email: email, password: password, mode: 'session' } });
  // JWT mode: no cookie stored (credentials 'omit'); the access token stays in memory.
  const viaJwt = await request('POST', '/auth/login', { body: { email: email, password: password, mode: 'jwt' }, credentials: 'omit' });
  if (typeof viaJwt.accessToken !== 'string' || !viaSession.session || typeof viaSession.session.id !== 'string') {
    throw new ApiError(200, 'bad_response', 'The server sent an answer this page does not understand.', null);
  }
  const me = await request('GET', '/auth/me', { bearer: viaJwt.accessToken, credentials: 'omit' });
  lab = {
    session: { id: viaSession.session.id, revoked: false },
    jwt: { token: viaJwt.accessToken, sid: me.auth && typeof me.auth.id === 'string' ? me.auth.id : '', revoked: false, exp: null, thirdPartyValid: false },
  };
  byId('lab-results').hidden = false;
  byId('lab-revoke-session').disabled = false;
  byId('lab-revoke-jwt').disabled = false;
  for (const id of ['lab-session-tessera', 'lab-jwt-tessera', 'lab-session-thirdparty', 'lab-jwt-thirdparty']) setText(id, 'Checking…');
  renderBytes(config);
  await checkAll();
  if (timer === null) timer = setInterval(tick, 1000);
}

async function revoke(which) {
  const id = which === 'session' ? lab.session.id : lab.jwt.sid;
  // Authenticate the DELETE with a credential other than the revoked one where possible, so
  // that the answer does not also clear this browser's cookies.
  const order = which === 'session'
    ? ways(true).concat(lab.session.revoked ? [] : [{ credentials: 'same-origin' }])
    : ways(false);
  await withAnyCredential('DELETE', '/auth/sessions/' + encodeURIComponent(id), order);
  lab[which].revoked = true;
  byId(which === 'session' ? 'lab-revoke-session' : 'lab-revoke-jwt').disabled = true;
  await checkAll();
  const both = lab.session.revoked && lab.jwt.revoked;
  say(both
    ? 'Both revoked. Tessera refused both at once; a third party with only the public keys still accepts the JWT until it expires, and could never tell anything from the cookie.'
    : which === 'session'
      ? 'Session revoked: Tessera refuses the cookie at once, and to anyone else it never meant anything.'
      : 'JWT revoked: Tessera refuses it at once, but a verifier with only the public keys accepts it until it expires.', 'ok');
}

export function init() {
  initBench();
  byId('lab-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const emailInput = byId('lab-email');
    const passwordInput = byId('lab-password');
    if (emailInput.value.trim() === '' || passwordInput.value === '') {
      say('Enter the email and password of an account to sign in with both modes.', 'error');
      (emailInput.value.trim() === '' ? emailInput : passwordInput).focus();
      return;
    }
    void busy(byId('lab-submit'), async () => {
      say('Signing in twice…', 'info');
      try {
        await startLab(emailInput.value, passwordInput.value);
        passwordInput.value = '';
        say('Signed in twice as ' + emailInput.value.trim() + ': once with a session cookie, once with a JWT. Both are accepted by Tessera and the JWT by a third party too. Now revoke each.', 'ok');
      } catch (error) {
        say(describeError(error), 'error');
      }
    });
  });
  for (const which of ['session', 'jwt']) {
    const button = byId(which === 'session' ? 'lab-revoke-session' : 'lab-revoke-jwt');
    button.addEventListener('click', () => {
      if (lab === null) return;
      void busy(button, async () => {
        try {
          await revoke(which);
        } catch (error) {
          say(describeError(error), 'error');
        }
      }).then(() => {
        if (lab !== null && lab[which].revoked) button.disabled = true;
      });
    });
  }
  byId('lab-check').addEventListener('click', (event) => {
    if (lab === null) return;
    void busy(event.currentTarget, async () => {
      try {
        await checkAll();
        say('Checked both again.', 'ok');
      } catch (error) {
        say(describeError(error), 'error');
      }
    });
  });
}

export const page = {
  title: 'Sessions vs JWT lab',
  async enter() {
    const me = current();
    const emailInput = byId('lab-email');
    if (emailInput.value === '' && me.user && typeof me.user.email === 'string') emailInput.value = me.user.email;
    await enterBench();
    if (lab !== null && timer === null) timer = setInterval(tick, 1000);
  },
  leave() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    leaveBench();
  },
};

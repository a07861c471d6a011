// Page 4: decode a token and verify it in the page against the JWKS, refusing what Tessera
// refuses and saying why.
import { current, currentAccessToken } from '../api.js';
import { byId, h, replace, setText } from '../dom.js';
import { formatTime, relative } from '../format.js';
import { busy, report, say } from '../status.js';
import { verifyWithJwks } from '../verifier.js';

const TIME_CLAIMS = new Set(['iat', 'exp', 'nbf']);
const CLAIM_MEANINGS = {
  iss: 'issuer', sub: 'subject (user id)', aud: 'audience', exp: 'expires', iat: 'issued at', nbf: 'not before',
  jti: 'token id', sid: 'session record', client_id: 'client',
};

function claimRow(name, value, now) {
  const meaning = CLAIM_MEANINGS[name];
  const nameCell = h('th', { attrs: { scope: 'row' } }, h('code', { text: name }), meaning ? h('span', { className: 'hint block', text: meaning }) : null);
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  const valueCell = h('td', {}, h('code', { className: 'wrap', text: shown }));
  if (TIME_CLAIMS.has(name) && Number.isSafeInteger(value)) {
    valueCell.append(h('span', { className: 'hint block', text: formatTime(value) + ' (' + relative(value, now) + ')' }));
  }
  return h('tr', {}, nameCell, valueCell);
}

/** Shows the result of {@link verifyWithJwks} for a token. */
export async function inspect(token) {
  const result = await verifyWithJwks(token);
  byId('inspector-result').hidden = false;
  const verdict = byId('inspector-verdict');
  const problems = result.problems;
  if (result.valid) {
    verdict.className = 'verdict ok';
    const left = result.expiresInSeconds;
    replace(verdict,
      h('strong', { text: 'Valid. ' }),
      'Signed by key ' + result.key.kid + ' (' + result.key.alg + ') of this server\'s JWKS; every check Tessera makes on the token itself passes' +
        (left !== null ? ', and it expires in ' + left + ' s.' : '.'),
      h('span', { className: 'block hint', text: 'This page cannot see revocations: Tessera (or a verifier following its revocation feed) may still refuse the token if its session has been ended.' }),
    );
    say('The token is valid.', 'ok');
  } else {
    verdict.className = 'verdict error';
    const count = problems.length;
    replace(verdict, h('strong', { text: 'Refused. ' }), count === 1 ? 'Tessera would refuse this token for this reason:' : 'Tessera would refuse this token for these ' + count + ' reasons:');
    const first = problems[0] ? problems[0].message : 'It cannot be verified.';
    say('The token is refused: ' + first.charAt(0).toLowerCase() + first.slice(1), 'error');
  }
  replace(byId('inspector-problems'), ...problems.map((p) => h('li', {}, h('code', { className: 'reason', text: p.code }), ' ', p.message)));
  setText('inspector-header', result.header === null ? '(not decodable)' : JSON.stringify(result.header, null, 2));
  const now = Date.now();
  const claims = result.claims;
  replace(byId('inspector-claims'), ...(claims === null
    ? [h('tr', {}, h('td', { attrs: { colspan: '2' }, text: '(not decodable)' }))]
    : Object.keys(claims).map((name) => claimRow(name, claims[name], now))));
  return result;
}

function updateCurrentButton() {
  const button = byId('inspector-use-current');
  const jwt = current().mode === 'jwt';
  button.disabled = !jwt;
  button.setAttribute('title', jwt ? 'Inspect the access token this page holds in memory' : 'Sign in with a JWT to have an access token');
  setText('inspector-token-hint', jwt
    ? 'Paste a JWT (three base64url parts separated by dots), or use the access token this page holds.'
    : 'Paste a JWT (three base64url parts separated by dots). Signed in with a session cookie or not at all, this page holds no access token of its own.');
}

export function init() {
  byId('inspector-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(byId('inspector-submit'), async () => {
      try {
        await inspect(byId('inspector-token').value);
      } catch (error) {
        report(error);
      }
    });
  });
  byId('inspector-use-current').addEventListener('click', (event) => {
    const token = currentAccessToken();
    if (token === null) {
      say('This page holds no access token: sign in with a JWT first.', 'info');
      return;
    }
    byId('inspector-token').value = token;
    void busy(event.currentTarget, async () => {
      try {
        await inspect(token);
      } catch (error) {
        report(error);
      }
    });
  });
}

export const page = {
  title: 'Token inspector',
  async enter() {
    updateCurrentButton();
  },
};

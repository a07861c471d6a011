// What the pages that spend a mailed token share (verify-email, confirm-email): the token comes
// from the link (the router has already taken it off the address bar) and is spent at once, or
// is pasted as the code the mail also shows. The outcome is said in plain words; the next step
// is a link.
import { current } from '../api.js';
import { byId, h, replace } from '../dom.js';
import { busy, say } from '../status.js';

/**
 * Whether the server refused the token itself: spent, expired, unknown or of another purpose
 * (always the one message, docs/api.md), or not a token at all (the field's schema check).
 */
export function isBadLink(error) {
  return error.code === 'invalid_request' && (error.message === 'The link is invalid or has expired.' || /\btoken\b/.test(error.message));
}

/**
 * Wires the page `prefix` (elements `<prefix>-form`, `-code`, `-submit`, `-next`). Options:
 * `title`, `spend(token)` → user, `done(user)` and `failed(error)` → the text to say.
 */
export function createLinkPage(prefix, options) {
  const form = () => byId(prefix + '-form');
  const code = () => byId(prefix + '-code');

  function showNext() {
    const signedIn = current().mode !== null;
    byId(prefix + '-next').hidden = false;
    replace(byId(prefix + '-next'), signedIn
      ? h('a', { className: 'button-link', attrs: { href: '#/account' }, text: 'Go to your account' })
      : h('a', { className: 'button-link', attrs: { href: '#/signin' }, text: 'Sign in' }));
  }

  async function spend(token, typed) {
    await busy(byId(prefix + '-submit'), async () => {
      say(options.checking, 'info');
      try {
        const user = await options.spend(token);
        code().value = '';
        form().hidden = true;
        say(options.done(user), 'ok');
        showNext();
      } catch (error) {
        say(options.failed(error), 'error');
        if (typed) code().focus();
      }
    });
  }

  function init() {
    form().addEventListener('submit', (event) => {
      event.preventDefault();
      const token = code().value.trim();
      if (token === '') {
        say('Paste the code from the mail, or open the link in it.', 'error');
        code().focus();
        return;
      }
      void spend(token, true);
    });
  }

  const page = {
    title: options.title,
    async enter(params) {
      form().hidden = false;
      code().value = '';
      byId(prefix + '-next').hidden = true;
      const token = params ? params.get('token') : null;
      if (token !== null && token !== '') await spend(token, false);
    },
  };
  return { init, page };
}

// Hash routes (#/signin, #/account, …): one section of the page is shown at a time.
import { describeError, SignedOutError } from './api.js';
import { say } from './status.js';

const pages = new Map();
let active = null;
let pendingKeep = false;
let started = false;
let fallback = () => 'signin';

/** Adds a page: `{ title, enter(), leave?() }`, shown for `#/<name>`. */
export function register(name, page) {
  pages.set(name, page);
}

function routeFromHash() {
  const match = /^#\/([a-z]+)$/.exec(location.hash);
  return match !== null && pages.has(match[1]) ? match[1] : null;
}

/** The route on show now (null before the first). */
export function currentRoute() {
  return active;
}

/**
 * Goes to a page. `keepStatus`: the message in the live region stays (it explains why we
 * moved, e.g. "You have been signed out").
 */
export function navigate(name, options) {
  const keep = Boolean(options && options.keepStatus);
  if (location.hash === '#/' + name) {
    void show(keep);
    return;
  }
  // The hashchange event that follows shows the page (see start()).
  pendingKeep = keep;
  location.hash = '#/' + name;
}

async function show(keepStatus) {
  let name = routeFromHash();
  if (name === null) {
    name = fallback();
    history.replaceState(null, '', '#/' + name);
  }
  if (started && !keepStatus) say('');
  const previous = active;
  if (previous !== null && previous !== name) {
    const leaving = pages.get(previous);
    if (leaving.leave) leaving.leave();
  }
  active = name;
  for (const [route, page] of pages) {
    const section = document.getElementById('page-' + route);
    if (section !== null) section.hidden = route !== name || page === undefined;
  }
  for (const link of document.querySelectorAll('nav a[data-route]')) {
    if (link.getAttribute('data-route') === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const page = pages.get(name);
  document.title = page.title + ' · Tessera';
  // Move focus to the new page's heading, so keyboard and screen-reader users land on it.
  if (started) {
    const heading = document.querySelector('#page-' + name + ' h1');
    if (heading !== null) heading.focus({ preventScroll: false });
  }
  started = true;
  try {
    await page.enter();
  } catch (error) {
    // A lost sign-in is announced by the app's listener; anything else is said here.
    if (!(error instanceof SignedOutError)) say(describeError(error), 'error');
  }
}

/** Starts routing; `defaultRoute()` picks the page for an empty or unknown hash. */
export function start(defaultRoute) {
  fallback = defaultRoute;
  window.addEventListener('hashchange', () => {
    const keep = pendingKeep;
    pendingKeep = false;
    void show(keep);
  });
  return show(false);
}

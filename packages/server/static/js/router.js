// Hash routes (#/signin, #/account, …): one section of the page is shown at a time.
//
// A route may carry a query, as the links in Tessera's mails do
// (`#/verify-email?token=…`): the router takes the parameters for the page and at once puts the
// bare route back in the address bar with history.replaceState, so a token never stays in the
// address bar, the history or a bookmark. Each page gets the parameters of its visit in
// `enter(params)` (a URLSearchParams; empty when the route had no query).
import { describeError, SignedOutError } from './api.js';
import { say } from './status.js';

const pages = new Map();
let active = null;
let pendingKeep = false;
let started = false;
let fallback = () => 'signin';
/** The parameters taken from the address for the next showing of a route: { name, params }. */
let carried = null;

/** Adds a page: `{ title, enter(params), leave?() }`, shown for `#/<name>`. */
export function register(name, page) {
  pages.set(name, page);
}

/** `#/name` or `#/name?query` → { name, query } (query null without one); null otherwise. */
function parseHash(hash) {
  const match = /^#\/([a-z]+(?:-[a-z]+)*)(?:\?(.*))?$/.exec(hash);
  return match === null ? null : { name: match[1], query: match[2] === undefined ? null : match[2] };
}

/**
 * Takes the query off the address (history.replaceState: no new history entry, no hashchange)
 * and keeps its parameters for the page. The app calls this before anything else on load, so
 * a token from a mail leaves the address bar before the first request.
 */
export function takeQuery() {
  const parsed = parseHash(location.hash);
  if (parsed === null || parsed.query === null) return;
  history.replaceState(history.state, '', '#/' + parsed.name);
  carried = { name: parsed.name, params: new URLSearchParams(parsed.query) };
}

function routeFromHash() {
  const parsed = parseHash(location.hash);
  return parsed !== null && parsed.query === null && pages.has(parsed.name) ? parsed.name : null;
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
  takeQuery();
  let name = routeFromHash();
  if (name === null) {
    name = fallback();
    history.replaceState(null, '', '#/' + name);
  }
  const params = carried !== null && carried.name === name ? carried.params : new URLSearchParams();
  carried = null;
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
    await page.enter(params);
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

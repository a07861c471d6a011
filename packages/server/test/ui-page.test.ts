import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { UI_CONTENT_SECURITY_POLICY, UI_CONTENT_TYPES, UI_PATHS, uiAssets } from '../src/ui-page.js';

const { html, js, css } = uiAssets();

/** Every start tag of `name` in the page, with its raw attribute text. */
function tags(name: string): string[] {
  return [...html.matchAll(new RegExp(`<${name}\\b([^>]*)>`, 'gi'))].map((m) => m[1] ?? '');
}

function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}="([^"]*)"`, 'i').exec(attrs);
  return m?.[1];
}

test('assets are read once and are non-empty', () => {
  assert.equal(uiAssets(), uiAssets());
  assert.ok(html.length > 500 && js.length > 500 && css.length > 200);
  assert.deepEqual({ ...UI_PATHS }, { html: '/', js: '/ui/app.js', css: '/ui/app.css' });
  assert.match(UI_CONTENT_TYPES.html, /^text\/html; charset=utf-8$/);
  assert.match(UI_CONTENT_TYPES.js, /^text\/javascript/);
  assert.match(UI_CONTENT_TYPES.css, /^text\/css/);
});

test('the CSP is the strict one of the brief', () => {
  assert.equal(
    UI_CONTENT_SECURITY_POLICY,
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  );
});

test('the page loads /ui/app.js and /ui/app.css and has no inline script, style or handler', () => {
  assert.match(html, /^<!doctype html>/i);
  assert.match(html, /<html lang="en">/);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.equal(scripts.length, 1);
  assert.equal(attr(scripts[0]![1]!, 'src'), '/ui/app.js');
  assert.equal(scripts[0]![2]!.trim(), '', 'no inline script content');
  assert.ok(tags('link').some((a) => attr(a, 'rel') === 'stylesheet' && attr(a, 'href') === '/ui/app.css'));
  assert.doesNotMatch(html, /<style\b/i);
  assert.doesNotMatch(html, /\sstyle\s*=/i);
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no on*= handlers');
  assert.doesNotMatch(html, /javascript:/i);
});

test('every input has a label; autocomplete values fit each form', () => {
  const inputs = tags('input');
  assert.ok(inputs.length >= 8);
  const labelled = new Set(tags('label').map((a) => attr(a, 'for')));
  for (const input of inputs) {
    const id = attr(input, 'id');
    assert.ok(id !== undefined, `input without id: ${input}`);
    assert.ok(labelled.has(id), `input #${id} has no <label for>`);
  }
  const byId = new Map(inputs.map((a) => [attr(a, 'id'), a]));
  assert.equal(attr(byId.get('signup-email')!, 'autocomplete'), 'email');
  assert.equal(attr(byId.get('signup-password')!, 'autocomplete'), 'new-password');
  assert.equal(attr(byId.get('signin-password')!, 'autocomplete'), 'current-password');
  assert.equal(attr(byId.get('signin-email')!, 'type'), 'email');
  assert.equal(attr(byId.get('mode-session')!, 'type'), 'radio');
  assert.equal(attr(byId.get('mode-jwt')!, 'type'), 'radio');
  assert.match(html, /Session cookie<\/strong> — the server remembers you; sign-out is instant everywhere\./);
  assert.match(html, /JWT<\/strong> — a short-lived signed token any service can verify alone; refreshed with a rotating token\./);
  // Forms post (never GET: a password must not end up in a URL if the script failed to load).
  for (const form of tags('form')) assert.equal(attr(form, 'method'), 'post');
  // One live region for messages.
  assert.match(html, /id="status"[^>]*aria-live="polite"/);
});

test('the script never uses HTML sinks or web storage; the stylesheet shows focus', () => {
  for (const banned of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'localStorage', 'sessionStorage', 'document.cookie', 'eval(', 'new Function']) {
    assert.ok(!js.includes(banned), `app.js uses ${banned}`);
  }
  assert.match(js, /credentials: 'same-origin'/);
  assert.match(js, /'Content-Type'\] = 'application\/json'/);
  assert.doesNotThrow(() => new vm.Script(js, { filename: 'app.js' }), 'app.js parses as a classic script');
  assert.match(css, /:focus-visible/);
  assert.doesNotMatch(css, /outline:\s*(none|0)/);
});

// ---------------------------------------------------------------------------------------
// Behaviour: run app.js against a minimal fake DOM and a scripted fetch.

class FakeElement {
  textContent = '';
  className = '';
  hidden = false;
  disabled = false;
  value = '';
  checked = false;
  type = '';
  readonly attributes = new Map<string, string>();
  readonly listeners = new Map<string, ((event: unknown) => unknown)[]>();
  constructor(readonly id: string) {}
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
  }
  addEventListener(type: string, fn: (event: unknown) => unknown): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  async fire(type: string): Promise<{ defaultPrevented: boolean }> {
    const event = { defaultPrevented: false, preventDefault(): void { this.defaultPrevented = true; } };
    for (const fn of this.listeners.get(type) ?? []) await fn(event);
    return event;
  }
}

interface Call { url: string; method: string; headers: Record<string, string>; body: string | undefined; credentials: string | undefined }
type Responder = (call: Call) => Response;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function boot(onLoad: Responder[]): Promise<{ el: (id: string) => FakeElement; calls: Call[]; script: (r: Responder[]) => void; domText: () => string }> {
  const elements = new Map<string, FakeElement>();
  for (const m of html.matchAll(/<(\w+)\b([^>]*)\sid="([^"]+)"([^>]*)>/g)) {
    const e = new FakeElement(m[3]!);
    const attrs = `${m[2]} ${m[4]}`;
    e.type = attr(attrs, 'type') ?? '';
    e.checked = /\schecked\b/.test(attrs);
    e.hidden = /\shidden\b/.test(attrs);
    elements.set(e.id, e);
  }
  const calls: Call[] = [];
  let queue: Responder[] = [...onLoad];
  const fetch = async (url: string, init: { method: string; headers: Record<string, string>; body?: string; credentials?: string }): Promise<Response> => {
    const call = { url, method: init.method, headers: { ...init.headers }, body: init.body, credentials: init.credentials };
    calls.push(call);
    const next = queue.shift();
    if (next === undefined) throw new Error(`unexpected request ${init.method} ${url}`);
    return next(call);
  };
  const document = { getElementById: (id: string) => elements.get(id) ?? null };
  vm.runInNewContext(js, { document, fetch, console }, { filename: 'app.js' });
  await settle();
  return {
    el: (id) => {
      const e = elements.get(id);
      assert.ok(e, `#${id} exists`);
      return e;
    },
    calls,
    script: (r) => {
      queue = [...r];
    },
    domText: () => [...elements.values()].map((e) => `${e.textContent} ${e.value}`).join('\n'),
  };
}

const USER = { id: 'u1', email: 'ada@example.com', createdAt: '2025-01-01T00:00:00Z' };
const unauthorized = (code = 'unauthorized'): Responder => () => json(401, { error: { code, message: 'Authentication is required.' } }, { 'www-authenticate': 'Bearer realm="tessera"' });

test('on load: asks /auth/me, then tries the refresh cookie once, quietly', async () => {
  const page = await boot([unauthorized(), () => json(401, { error: { code: 'invalid_grant', message: 'The refresh token is invalid, expired or revoked.' } })]);
  assert.deepEqual(page.calls.map((c) => `${c.method} ${c.url}`), ['GET /auth/me', 'POST /auth/refresh']);
  assert.equal(page.calls[0]!.headers.Authorization, undefined);
  assert.equal(page.calls[1]!.body, '{}');
  assert.equal(page.calls[1]!.credentials, 'same-origin');
  assert.equal(page.calls[1]!.headers['Content-Type'], 'application/json');
  assert.equal(page.el('status').textContent, '', 'a quiet check says nothing');
  assert.equal(page.el('whoami-details').hidden, true);
});

test('JWT mode: token kept in memory, sent as Bearer, refreshed via the cookie, dropped at sign-out', async () => {
  const page = await boot([unauthorized(), unauthorized('invalid_grant')]);
  page.calls.length = 0;

  page.el('signin-email').value = 'ada@example.com';
  page.el('signin-password').value = 'correct horse battery staple';
  page.el('mode-session').checked = false;
  page.el('mode-jwt').checked = true;
  const me = { user: USER, auth: { mode: 'jwt', id: 'sess-1', expiresAt: '2030-01-01T00:00:00Z' } };
  page.script([
    () => json(200, { user: USER, mode: 'jwt', accessToken: 'AT-1', tokenType: 'Bearer', expiresIn: 900, refreshToken: 'RT-SECRET-1' }),
    () => json(200, me),
  ]);
  const submitted = await page.el('signin-form').fire('submit');
  assert.equal(submitted.defaultPrevented, true);
  const [login, who] = page.calls;
  assert.equal(login!.url, '/auth/login');
  assert.equal(login!.method, 'POST');
  assert.equal(login!.headers['Content-Type'], 'application/json');
  assert.deepEqual(JSON.parse(login!.body!), { email: 'ada@example.com', password: 'correct horse battery staple', mode: 'jwt' });
  assert.equal(who!.url, '/auth/me');
  assert.equal(who!.headers.Authorization, 'Bearer AT-1');
  assert.equal(page.el('signin-password').value, '', 'the password field is cleared');
  assert.equal(page.el('whoami-email').textContent, 'ada@example.com');
  assert.equal(page.el('whoami-id').textContent, 'sess-1');
  assert.equal(page.el('whoami-details').hidden, false);
  assert.match(page.el('status').textContent, /Signed in as ada@example\.com with a JWT/);

  // The access token expires: one refresh through the cookie, then the retry.
  page.calls.length = 0;
  page.script([
    () => json(401, { error: { code: 'token_expired', message: 'The access token has expired.' } }),
    () => json(200, { accessToken: 'AT-2', tokenType: 'Bearer', expiresIn: 900, refreshToken: 'RT-SECRET-2' }),
    () => json(200, me),
  ]);
  await page.el('whoami-button').fire('click');
  assert.deepEqual(page.calls.map((c) => `${c.method} ${c.url}`), ['GET /auth/me', 'POST /auth/refresh', 'GET /auth/me']);
  assert.equal(page.calls[1]!.body, '{}');
  assert.equal(page.calls[1]!.credentials, 'same-origin');
  assert.equal(page.calls[1]!.headers.Authorization, undefined, 'refresh relies on the cookie');
  assert.equal(page.calls[2]!.headers.Authorization, 'Bearer AT-2');
  assert.match(page.el('status').textContent, /You are signed in as ada@example\.com/);

  // Sign out with the bearer token; afterwards no token is sent any more.
  page.calls.length = 0;
  page.script([() => new Response(null, { status: 204 })]);
  await page.el('logout-button').fire('click');
  assert.equal(page.calls[0]!.url, '/auth/logout');
  assert.equal(page.calls[0]!.method, 'POST');
  assert.equal(page.calls[0]!.body, '{}');
  assert.equal(page.calls[0]!.headers.Authorization, 'Bearer AT-2');
  assert.equal(page.el('status').textContent, 'Signed out.');
  assert.equal(page.el('whoami-details').hidden, true);

  page.calls.length = 0;
  page.script([unauthorized(), unauthorized('invalid_grant')]);
  await page.el('whoami-button').fire('click');
  assert.equal(page.calls[0]!.headers.Authorization, undefined, 'the token was forgotten');
  assert.equal(page.el('status').textContent, 'You are not signed in.');

  assert.ok(!page.domText().includes('RT-SECRET'), 'the refresh token never reaches the page');
  assert.ok(!page.domText().includes('AT-'), 'the access token is not shown');
  for (const call of page.calls) assert.ok(!JSON.stringify(call).includes('RT-SECRET'));
});

test('session mode: no bearer token, and a 401 does not try a refresh', async () => {
  const page = await boot([unauthorized(), unauthorized('invalid_grant')]);
  page.calls.length = 0;
  page.el('signin-email').value = 'ada@example.com';
  page.el('signin-password').value = 'correct horse battery staple';
  page.script([
    () => json(200, { user: USER, mode: 'session', session: { id: 'sess-9', expiresAt: '2030-01-01T00:00:00Z' } }),
    () => json(200, { user: USER, auth: { mode: 'session', id: 'sess-9', expiresAt: '2030-01-01T00:00:00Z' } }),
  ]);
  await page.el('signin-form').fire('submit');
  assert.equal(JSON.parse(page.calls[0]!.body!).mode, 'session');
  assert.equal(page.calls[1]!.headers.Authorization, undefined);
  assert.equal(page.el('whoami-mode').textContent, 'a session cookie');

  page.calls.length = 0;
  page.script([unauthorized()]);
  await page.el('whoami-button').fire('click');
  assert.deepEqual(page.calls.map((c) => c.url), ['/auth/me']);
  assert.equal(page.el('status').textContent, 'You are not signed in.');
});

test('errors: the server message in plain words, Retry-After, network failure', async () => {
  const page = await boot([unauthorized(), unauthorized('invalid_grant')]);
  page.el('signup-email').value = 'ada@example.com';
  page.el('signup-password').value = 'short';
  const hostile = '<img src=x onerror=alert(1)> The password does not meet the password policy.';
  page.script([() => json(400, { error: { code: 'weak_password', message: hostile } })]);
  await page.el('signup-form').fire('submit');
  assert.equal(page.el('status').textContent, hostile, 'shown verbatim as text');
  assert.equal(page.el('status').className, 'status error');
  assert.equal(page.el('signup-submit').disabled, false, 'the button is enabled again');

  page.el('signin-email').value = 'ada@example.com';
  page.el('signin-password').value = 'whatever whatever';
  page.script([() => json(429, { error: { code: 'rate_limited', message: 'Too many attempts. Try again later.' } }, { 'retry-after': '30' })]);
  await page.el('signin-form').fire('submit');
  assert.equal(page.el('status').textContent, 'Too many attempts. Try again later. You can try again in 30 seconds.');

  page.script([() => new Response('<html>bad gateway</html>', { status: 502 })]);
  await page.el('signin-form').fire('submit');
  assert.equal(page.el('status').textContent, 'The server answered with an unexpected error (HTTP 502).');

  page.script([() => {
    throw new TypeError('fetch failed');
  }]);
  await page.el('signin-form').fire('submit');
  assert.match(page.el('status').textContent, /Could not reach the server/);
});

test('sign-up success fills the sign-in email and clears the password', async () => {
  const page = await boot([unauthorized(), unauthorized('invalid_grant')]);
  page.calls.length = 0;
  page.el('signup-email').value = '  Ada@Example.com ';
  page.el('signup-password').value = 'a long enough passphrase';
  page.script([() => json(201, { user: USER })]);
  await page.el('signup-form').fire('submit');
  assert.equal(page.calls[0]!.url, '/auth/register');
  assert.deepEqual(JSON.parse(page.calls[0]!.body!), { email: '  Ada@Example.com ', password: 'a long enough passphrase' });
  assert.equal(page.el('signup-password').value, '');
  assert.equal(page.el('signin-email').value, 'ada@example.com');
  assert.equal(page.el('status').textContent, 'Account created for ada@example.com. You can sign in now.');
});

/**
 * Browser-test harness: the Tessera server in-process on a real socket, and Debian's
 * Chromium driven by playwright-core (no browser download). Each test file starts its own
 * server and browser; each context starts from an empty profile.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { GOOD_PASSWORD, startTestServer } from '../helpers/test-server.js';
import type { TestServer } from '../helpers/test-server.js';

export { GOOD_PASSWORD };

/** Where Chromium is expected (`.ci/run` installs Debian's package when missing). */
export const CHROMIUM_PATH = process.env.TESSERA_CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Screenshots of each page, for the README. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));

/**
 * Why the browser tests cannot run here, or undefined when they can. Under CI=true a missing
 * Chromium is a failure, not a skip.
 */
export function skipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `Chromium not found at ${CHROMIUM_PATH} (install Debian's chromium package, or set TESSERA_CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; browser tests must run under CI=true.`);
  return reason;
}

/** What a page did wrong: console errors, uncaught exceptions, CSP violations. */
export interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  cspViolations: string[];
}

/** A page with its problems recorded from the start. */
export interface WatchedPage {
  page: Page;
  problems: PageProblems;
}

/**
 * The API's 4xx answers are outcomes the page expects and handles (a 401 from /auth/me when
 * signed out or revoked, a 400 weak_password, a 404 from the benchmark results when there are
 * none, a 404 from the development outbox when it is off), yet Chromium logs each as "Failed to load resource" at error level. Those network
 * log lines are allowed for 4xx statuses of the API's own paths only; any other console
 * error, any 5xx and any failed asset fails the test.
 */
function expectedNetworkLog(message: ConsoleMessage): boolean {
  const match = /^Failed to load resource: the server responded with a status of (4\d\d)\b/.exec(message.text());
  if (match === null) return false;
  const path = new URL(message.location().url).pathname;
  return /^\/auth\/[a-z-]+(\/[^/]+)?$/.test(path)
    || ((path === '/ui/bench-results.json' || path === '/dev/outbox') && match[1] === '404');
}

/** The server, its URL as the browser sees it, and the browser. */
export interface UiHarness {
  server: TestServer;
  /** `http://localhost:<port>`: a potentially trustworthy origin, so `__Host-` cookies work. */
  baseUrl: string;
  browser: Browser;
  /** A fresh context (empty profile) with the harness's viewport, locale and time zone. */
  newContext(): Promise<BrowserContext>;
  /** A new page in `context`, watched for problems, opened at `hash` and ready. */
  open(context: BrowserContext, hash?: string): Promise<WatchedPage>;
  close(): Promise<void>;
}

/** Launches Debian's Chromium with the flags of the issue (headless, no sandbox, no background traffic). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // `localhost` straight to the IPv4 loopback the server listens on (no ::1 attempt first).
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP localhost 127.0.0.1'],
    headless: true,
  });
}

/** A TCP port that was free a moment ago (for a server whose issuer must name its own port). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * Starts a server (with `env`) and a browser; pass `shared` to reuse a browser another
 * harness owns (it is then not closed by this one). The server listens on `env.PORT` when
 * given (so `TESSERA_ISSUER` can be `http://localhost:<port>`, as mailed links need), else on
 * any free port.
 */
export async function startUi(env: Record<string, string> = {}, shared?: Browser): Promise<UiHarness> {
  const server = await startTestServer({ env: { TESSERA_LOG_LEVEL: 'warn', ...env } });
  let browser: Browser | undefined;
  try {
    await server.app.listen({ port: env.PORT === undefined ? 0 : Number(env.PORT), host: '127.0.0.1' });
    const { port } = server.app.server.address() as AddressInfo;
    const baseUrl = `http://localhost:${port}`;
    browser = shared ?? await launchChromium();
    const b = browser;
    return {
      server,
      baseUrl,
      browser: b,
      newContext: () => b.newContext({ viewport: { width: 1200, height: 900 }, locale: 'en-US', timezoneId: 'UTC', colorScheme: 'light', reducedMotion: 'reduce' }),
      async open(context, hash = '') {
        const page = await context.newPage();
        const problems: PageProblems = { consoleErrors: [], pageErrors: [], cspViolations: [] };
        page.on('console', (message) => {
          if (message.type() === 'error' && !expectedNetworkLog(message)) problems.consoleErrors.push(`${message.text()} (${message.location().url})`);
        });
        page.on('pageerror', (error) => problems.pageErrors.push(String(error)));
        await page.exposeBinding('__tesseraTestCsp', (_source, text: string) => {
          problems.cspViolations.push(text);
        });
        // In-page code is passed as source text: the tests are compiled without DOM types.
        await page.addInitScript(`document.addEventListener('securitypolicyviolation', (event) => {
          window.__tesseraTestCsp(event.violatedDirective + ' blocked ' + event.blockedURI + ' (' + event.sourceFile + ':' + event.lineNumber + ')');
        });`);
        await page.goto(`${baseUrl}/${hash}`);
        await page.waitForSelector('html[data-ready="true"]');
        return { page, problems };
      },
      async close() {
        if (shared === undefined) await b.close();
        await server.dispose();
      },
    };
  } catch (error) {
    if (shared === undefined) await browser?.close();
    await server.dispose();
    throw error;
  }
}

/** Fails with every problem a page recorded. */
export function assertNoProblems(watched: WatchedPage | WatchedPage[]): void {
  const all = Array.isArray(watched) ? watched : [watched];
  const found = all.flatMap((w) => [
    ...w.problems.consoleErrors.map((t) => `console error: ${t}`),
    ...w.problems.pageErrors.map((t) => `page error: ${t}`),
    ...w.problems.cspViolations.map((t) => `CSP violation: ${t}`),
  ]);
  if (found.length > 0) throw new Error(`The page reported problems:\n${found.join('\n')}`);
}

/** Writes a full-page screenshot to docs/screenshots/<name>.png (overwriting). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Blur whatever has focus so no focus ring or caret ends up in the picture.
  await page.evaluate('document.activeElement && document.activeElement.blur()');
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage: true, animations: 'disabled', caret: 'hide' });
}

/** Registers a user through the API (faster than the form when the form is not under test). */
export async function registerUser(server: TestServer, email: string, password = GOOD_PASSWORD): Promise<string> {
  const res = await server.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password } });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  return (JSON.parse(res.body) as { user: { id: string } }).user.id;
}

/** Calls an export of one of the page's own modules (the instance the page runs) in the page. */
export async function callPageModule(page: Page, modulePath: string, name: string): Promise<string> {
  return page.evaluate(([path, fn]) => import(path!).then(
    (module: Record<string, () => unknown>) => Promise.resolve(module[fn!]!()).then(() => 'ok'),
  ).catch((error: Error) => `failed: ${error.message}`), [modulePath, name]);
}

/** Signs in through the page's form, in `mode`, and waits for the account page. */
export async function signInWithForm(page: Page, email: string, mode: 'session' | 'jwt', password = GOOD_PASSWORD): Promise<void> {
  if (!page.url().endsWith('#/signin')) await page.goto(new URL('/#/signin', page.url()).href);
  await page.locator('#signin-email').fill(email);
  await page.locator('#signin-password').fill(password);
  await page.locator(mode === 'jwt' ? '#mode-jwt' : '#mode-session').check();
  await page.locator('#signin-submit').click();
  await page.waitForURL(/#\/account$/);
  await page.locator('#account-session-id').filter({ hasText: /\S/ }).waitFor();
}

/** The live region's text. */
export async function statusText(page: Page): Promise<string> {
  return (await page.locator('#status').textContent()) ?? '';
}

/**
 * Text whose contrast against its background is below 4.5:1 (WCAG 1.4.3 AA), among the
 * visible HTML elements of the page; disabled controls are exempt, as WCAG allows.
 */
export async function contrastFailures(page: Page): Promise<string[]> {
  // Plain JavaScript source: functions compiled by tsx would carry helper calls (__name)
  // that do not exist in the page.
  return page.evaluate(CONTRAST_SCRIPT) as Promise<string[]>;
}

const CONTRAST_SCRIPT = `(() => {
  const parse = (value) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(value);
    if (m === null) return null;
    const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p[3] === undefined ? 1 : p[3] };
  };
  const channel = (v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (el) => {
    for (let e = el; e !== null; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c !== null && c.a > 0) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const failures = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!(el instanceof HTMLElement) || !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    const text = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent || '').join('').trim();
    if (text === '' || el.closest('button:disabled, .skip-link') !== null) continue;
    const fg = parse(getComputedStyle(el).color);
    if (fg === null) continue;
    const l1 = luminance(fg);
    const l2 = luminance(background(el));
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < 4.5) failures.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + text.slice(0, 40) + '": ' + ratio.toFixed(2) + ':1');
  }
  return failures;
})()`;

/**
 * Waits until a JavaScript expression is truthy in the page, polling from here. (Playwright's
 * waitForFunction with a string evaluates it with eval in the page, which the page's CSP
 * rightly refuses; page.evaluate goes through the DevTools protocol instead.)
 */
export async function waitUntil(page: Page, expression: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(expression)) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

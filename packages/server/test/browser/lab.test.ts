import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoProblems, callPageModule, contrastFailures, GOOD_PASSWORD, registerUser, screenshot, signInWithForm, skipReason, startUi, statusText, waitUntil } from './browser.js';
import type { UiHarness, WatchedPage } from './browser.js';
import { benchResultsPath } from '../../src/ui-routes.js';

const skip = skipReason();

/** The server's admin key: the lab's benchmark button needs one. */
const ADMIN_KEY = 'bGFiLWJyb3dzZXItdGVzdC1hZG1pbi1rZXktMDAwMQ';

/**
 * Chromium logs the 4xx answers of POST /admin/bench (a wrong key, a run already going) as
 * console errors; the page handles them, so each expected line is dropped, and only those.
 */
function dropBenchRefusals(watched: WatchedPage, statuses: number[]): void {
  const expected = (line: string) => statuses.some((s) => line.startsWith(`Failed to load resource: the server responded with a status of ${s} `) && line.includes('/admin/bench)'));
  watched.problems.consoleErrors = watched.problems.consoleErrors.filter((line) => !expected(line));
}

/** The rows of the short run's table: name, req/s, p99 text. */
async function shortRunRows(watched: WatchedPage): Promise<Array<{ name: string; rps: number; p99: string }>> {
  const rows = watched.page.locator('#lab-bench-short table tbody tr');
  const out = [];
  for (let i = 0; i < await rows.count(); i++) {
    const cells = await rows.nth(i).locator('th, td').allInnerTexts();
    out.push({ name: cells[0]!, rps: Number(cells[1]!.replace(/,/g, '')), p99: cells[2]! });
  }
  return out;
}

/** Example results in the shape `npm run bench` writes (bench/results.json). */
const EXAMPLE_RESULTS = {
  generatedAt: '2025-01-01T00:00:00Z',
  machine: 'example data of the UI test, not a measurement',
  results: [
    { name: 'Bare Fastify', mode: 'none', reqPerSec: 52000, p99Ms: 2.1 },
    { name: 'Session cookie (SQLite)', mode: 'session', reqPerSec: 43000, p99Ms: 2.6 },
    { name: 'JWT EdDSA (seen before)', mode: 'jwt', reqPerSec: 44500, p99Ms: 2.5 },
    { name: 'JWT EdDSA (first sight)', mode: 'jwt', reqPerSec: 9800, p99Ms: 11.4 },
  ],
};

describe('browser: the sessions-vs-JWT lab', { skip }, () => {
  let ui: UiHarness;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
    ui = await startUi({ TESSERA_ADMIN_KEYS: ADMIN_KEY });
  });
  after(async () => {
    await ui?.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.TESSERA_BENCH_RESULTS;
  });

  it('revoking each: Tessera refuses both at once, a JWKS-only verifier still accepts the JWT until it expires', async () => {
    process.env.TESSERA_BENCH_RESULTS = join(dir, 'results.json');
    writeFileSync(process.env.TESSERA_BENCH_RESULTS, JSON.stringify(EXAMPLE_RESULTS));
    const email = 'lab@example.com';
    await registerUser(ui.server, email);
    const context = await ui.newContext();
    const watched = await ui.open(context);
    const { page } = watched;
    // This tab signs in with a JWT; the lab's own sign-ins must not disturb it.
    await signInWithForm(page, email, 'jwt');
    await page.locator('nav a[data-route="lab"]').click();
    await page.waitForURL(/#\/lab$/);
    // The page fills the field when it has entered (after the URL changed): wait for it.
    await waitUntil(page, `document.getElementById('lab-email').value !== ''`);
    assert.equal(await page.locator('#lab-email').inputValue(), email, 'prefilled from the sign-in');
    await page.locator('#lab-bench svg').first().waitFor();

    await page.locator('#lab-password').fill(GOOD_PASSWORD);
    await page.locator('#lab-submit').click();
    await page.locator('#lab-results').waitFor();
    await page.locator('#lab-jwt-thirdparty .pill.ok').waitFor();
    assert.match(await statusText(page), /Signed in twice as lab@example\.com/);

    // Bytes per request: the cookie's known size against the Bearer token's.
    assert.equal(await page.locator('#lab-session-bytes').innerText(), '89 bytes (97 bytes with the header name)');
    const jwtBytes = Number(/^([\d,]+) bytes/.exec(await page.locator('#lab-jwt-bytes').innerText())![1]!.replace(/,/g, ''));
    assert.ok(jwtBytes > 300 && jwtBytes < 1000, `JWT bytes: ${jwtBytes}`);
    assert.equal(await page.locator('#lab-bytes-chart svg rect').count(), 2);
    // Server state: a row each in the sessions table.
    assert.match(await page.locator('#lab-session-state').innerText(), /One row in the sessions table/);
    assert.match(await page.locator('#lab-jwt-state').innerText(), /refresh-token family/);
    assert.match(await page.locator('#lab-session-record').innerText(), /Chrome on Linux/);
    assert.match(await page.locator('#lab-jwt-record').innerText(), /Chrome on Linux/);
    // Before: both accepted by Tessera; the third party can verify only the JWT.
    assert.match(await page.locator('#lab-session-tessera').innerText(), /^accepted 200 OK/);
    assert.match(await page.locator('#lab-jwt-tessera').innerText(), /^accepted 200 OK/);
    assert.match(await page.locator('#lab-session-thirdparty').innerText(), /^no meaning/);
    assert.match(await page.locator('#lab-jwt-thirdparty').innerText(), /^accepted Valid for \d+ s/);

    await page.locator('#lab-revoke-session').click();
    await page.locator('#lab-session-tessera .pill.error').waitFor();
    assert.match(await page.locator('#lab-session-tessera').innerText(), /^refused 401: refused at once/);
    assert.match(await page.locator('#lab-session-record').innerText(), /ended: no longer in the sessions table/);
    assert.match(await page.locator('#lab-jwt-tessera').innerText(), /^accepted/, 'the JWT is untouched so far');

    await page.locator('#lab-revoke-jwt').click();
    await page.locator('#lab-jwt-tessera .pill.error').waitFor();
    // The status line is written once every check of the revocation has answered (the pill
    // above can come first): wait for it, so the lines below read the finished page.
    await page.locator('#status', { hasText: 'Both revoked.' }).waitFor();
    assert.match(await page.locator('#lab-jwt-tessera').innerText(), /^refused 401: refused at once/);
    const thirdParty = await page.locator('#lab-jwt-thirdparty').innerText();
    assert.match(thirdParty, /^accepted Still valid for \d+ s \(1[45] min( \d+ s)?\) although Tessera has revoked it/);
    assert.match(await page.locator('#lab-session-thirdparty').innerText(), /opaque random string/);
    assert.match(await statusText(page), /^Both revoked\./);
    assert.equal(await page.locator('#lab-revoke-session').isDisabled(), true);
    assert.equal(await page.locator('#lab-revoke-jwt').isDisabled(), true);

    // The countdown runs.
    const seconds = () => page.locator('#lab-jwt-thirdparty').innerText().then((t) => Number(/(\d+) s/.exec(t)![1]));
    const first = await seconds();
    await waitUntil(page, `!document.getElementById('lab-jwt-thirdparty').textContent.includes('for ${first} s')`, 3000);

    // The benchmark chart: one bar per row in each chart, and the table.
    assert.equal(await page.locator('#lab-bench svg').count(), 2);
    assert.equal(await page.locator('#lab-bench svg').first().locator('rect').count(), 4);
    assert.match(await page.locator('#lab-bench table').innerText(), /Session cookie \(SQLite\)\s+43,000\s+2\.6 ms/);

    // A short run from the button: its own charts and table appear at once, apart from the
    // full benchmark's, as "short run, this machine, <date>".
    assert.equal(await page.locator('#lab-bench-short').isHidden(), true);
    assert.equal(await page.locator('#lab-bench-off').isHidden(), true, 'the server has admin keys');
    await page.locator('#lab-admin-key').fill(ADMIN_KEY);
    await page.locator('#lab-bench-duration').selectOption('1');
    await page.locator('#lab-bench-run').click();
    assert.match(await statusText(page), /^Running a short benchmark: about 6 seconds/);
    await page.locator('#lab-bench-short svg').first().waitFor({ timeout: 60_000 });
    assert.match(await page.locator('#lab-bench-short h3').innerText(), /^Short run, this machine, [A-Z][a-z]{2} \d{1,2}, \d{4}, /);
    assert.match(await page.locator('#lab-bench-short').innerText(), /1 s per mode, after 1 s of warm-up, 4 connections/);
    assert.equal(await page.locator('#lab-bench-short svg').count(), 2);
    assert.equal(await page.locator('#lab-bench-short svg').first().locator('rect').count(), 2);
    const rows = await shortRunRows(watched);
    assert.deepEqual(rows.map((r) => r.name), ['Session cookie', 'JWT (Bearer access token)']);
    for (const r of rows) {
      assert.ok(r.rps > 0, JSON.stringify(r));
      assert.match(r.p99, /^(< 1|[\d.,]+) ms$/);
    }
    assert.match(await statusText(page), /^Short run done: session cookie [\d,]+ req\/s, JWT [\d,]+ req\/s\./);
    assert.equal(await page.locator('#lab-bench svg').first().locator('rect').count(), 4, 'the full results stay as they were');
    assert.equal(await page.evaluate('document.activeElement.id'), 'lab-bench-short-heading');
    assert.deepEqual(await contrastFailures(page), []);
    await page.mouse.move(0, 0);
    await screenshot(page, 'lab');
    // Nothing of the key outlives the page: not in storage, not in a cookie.
    assert.equal(await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie'), '{}{}');

    // This tab's own JWT sign-in survived the lab (its refresh cookie was not touched).
    await page.locator('nav a[data-route="account"]').click();
    await page.locator('#account-mode').filter({ hasText: 'JWT' }).waitFor();
    assert.equal(await callPageModule(page, '/ui/js/api.js', 'refresh'), 'ok');

    assertNoProblems(watched);
    await context.close();
  });

  it('the benchmark button refuses a missing or wrong key and a second run, in plain words; the key is forgotten on leaving', { timeout: 90_000 }, async () => {
    process.env.TESSERA_BENCH_RESULTS = join(dir, 'results.json');
    writeFileSync(process.env.TESSERA_BENCH_RESULTS, JSON.stringify(EXAMPLE_RESULTS));
    const context = await ui.newContext();
    const watched = await ui.open(context, '#/lab');
    const { page } = watched;
    await page.locator('#lab-bench svg').first().waitFor();

    await page.locator('#lab-bench-run').click();
    assert.match(await statusText(page), /^Enter an admin key of this server/);
    assert.equal(await page.evaluate('document.activeElement.id'), 'lab-admin-key');

    await page.locator('#lab-admin-key').fill('not-the-key-not-the-key-not-the-key-00');
    await page.locator('#lab-bench-run').click();
    await waitUntil(page, `document.getElementById('status').textContent.startsWith('The server did not accept that admin key')`, 10_000);
    assert.equal(await page.evaluate('document.activeElement.id'), 'lab-admin-key');

    // A run started elsewhere (here through the API) is running: the button's is refused with when to retry.
    const elsewhere = ui.server.app.inject({ method: 'POST', url: '/admin/bench', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { durationSeconds: 1, warmupSeconds: 0, connections: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await page.locator('#lab-admin-key').fill(ADMIN_KEY);
    await page.locator('#lab-bench-run').click();
    await waitUntil(page, `document.getElementById('status').textContent.startsWith('A benchmark is already running')`, 10_000);
    assert.match(await statusText(page), /one runs at a time\. It should be done in \d+ seconds?\.$/);
    assert.equal(await page.locator('#lab-bench-run').isDisabled(), false, 'the button is usable again');
    assert.equal((await elsewhere).statusCode, 200);
    assert.equal(await page.locator('#lab-bench-short').isHidden(), true, 'no run of this page to show');

    // Leaving the lab forgets the key.
    await page.locator('nav a[data-route="inspector"]').click();
    await page.locator('nav a[data-route="lab"]').click();
    await page.waitForURL(/#\/lab$/);
    assert.equal(await page.locator('#lab-admin-key').inputValue(), '');

    dropBenchRefusals(watched, [401, 429]);
    assertNoProblems(watched);
    await context.close();
  });

  it('without admin keys, the benchmark button is off and says how to enable it', async () => {
    const plain = await startUi({}, ui.browser);
    try {
      const context = await plain.newContext();
      const watched = await plain.open(context, '#/lab');
      const { page } = watched;
      await page.locator('#lab-bench-off').waitFor();
      assert.equal(await page.locator('#lab-bench-run').isDisabled(), true);
      assert.equal(await page.locator('#lab-bench-fields').isHidden(), true, 'no key field that could not work');
      const text = await page.locator('#lab-bench-off').innerText();
      assert.match(text, /TESSERA_ADMIN_KEYS/);
      assert.match(text, /tessera bench --duration 2/);
      assert.equal(await page.locator('#lab-bench-run').getAttribute('aria-describedby'), 'lab-bench-off');
      assert.deepEqual(await contrastFailures(page), []);
      assertNoProblems(watched);
      await context.close();
    } finally {
      await plain.close();
    }
  });

  it('the results npm run bench writes (bench/results.json, its lab summary) show as the chart', async () => {
    delete process.env.TESSERA_BENCH_RESULTS;
    const written = JSON.parse(readFileSync(benchResultsPath(), 'utf8')) as { lab: { modes: Record<string, unknown> }; machine: { cpuModel: string } };
    const context = await ui.newContext();
    const watched = await ui.open(context, '#/lab');
    await watched.page.locator('#lab-bench svg').first().waitFor();
    const expected = 1 + Object.keys(written.lab.modes).length;
    assert.equal(await watched.page.locator('#lab-bench svg').first().locator('rect').count(), expected, 'bare Fastify and each mode');
    const table = await watched.page.locator('#lab-bench table').innerText();
    assert.match(table, /Session cookie \(SQLite\)\s+[\d,]+\s+[\d.]+ ms/);
    assert.match(table, /JWT, token seen before\s+[\d,]+/);
    assert.ok((await watched.page.locator('#lab-bench > p').innerText()).includes(`on ${written.machine.cpuModel}, `), 'the machine is named');
    assertNoProblems(watched);
    await context.close();
  });

  it('without benchmark results, the lab says how to make them', async () => {
    process.env.TESSERA_BENCH_RESULTS = join(dir, 'absent.json');
    const context = await ui.newContext();
    const watched = await ui.open(context, '#/lab');
    await watched.page.locator('#lab-bench p').waitFor();
    assert.match(await watched.page.locator('#lab-bench').innerText(), /No benchmark results yet\. Run npm run bench/);
    assertNoProblems(watched);
    await context.close();
  });
});

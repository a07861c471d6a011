import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoProblems, callPageModule, contrastFailures, GOOD_PASSWORD, registerUser, screenshot, signInWithForm, skipReason, startUi, statusText, waitUntil } from './browser.js';
import type { UiHarness } from './browser.js';

const skip = skipReason();

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
    ui = await startUi();
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
    assert.deepEqual(await contrastFailures(page), []);
    await screenshot(page, 'lab');

    // This tab's own JWT sign-in survived the lab (its refresh cookie was not touched).
    await page.locator('nav a[data-route="account"]').click();
    await page.locator('#account-mode').filter({ hasText: 'JWT' }).waitFor();
    assert.equal(await callPageModule(page, '/ui/js/api.js', 'refresh'), 'ok');

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

// Text a user controls, shaped as markup: an email address and a User-Agent. The page must
// show it verbatim and run none of it, on every page that shows it, under its CSP (which
// enforces Trusted Types with no policy, so even a mistaken innerHTML would throw).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, registerUser, signInWithForm, skipReason, startUi } from './browser.js';
import type { UiHarness } from './browser.js';

const skip = skipReason();
const EMAIL = '<img/src=x/onerror=window.__pwned=1>@x.test';
const USER_AGENT = '<svg/onload=window.__pwned=2>';

describe('browser: hostile text is shown as text', { skip }, () => {
  let ui: UiHarness;
  before(async () => {
    ui = await startUi();
  });
  after(async () => {
    await ui?.close();
  });

  it('an email and a User-Agent made of markup appear verbatim on the badge, the account page and the devices list; nothing runs', async () => {
    await registerUser(ui.server, EMAIL);
    const context = await ui.browser.newContext({ userAgent: USER_AGENT, viewport: { width: 1200, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    const watched = await ui.open(context);
    const { page } = watched;
    await signInWithForm(page, EMAIL, 'session');
    assert.equal(await page.locator('#account-email').innerText(), EMAIL);
    assert.match(await page.locator('#whoami-badge').innerText(), /<img\/src=x\/onerror=window\.__pwned=1>@x\.test/);
    await page.locator('nav a[data-route="devices"]').click();
    await page.waitForURL(/#\/devices$/);
    await page.locator('#devices-rows tr').first().waitFor();
    assert.match(await page.locator('#devices-rows').innerText(), /<svg\/onload=window\.__pwned=2>/);
    assert.equal(await page.locator('main img, main svg, #whoami-badge img').count(), 0, 'no element was made from the text');
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    assertNoProblems(watched);
    // The policy is enforced, not only declared: an HTML sink refuses a plain string (the
    // probe's own violation is reported, as it should be: checked above, before it).
    const sink = await page.evaluate(`(() => { try { document.createElement('div').innerHTML = '<b>x</b>'; return 'accepted'; } catch (e) { return e.name; } })()`);
    assert.equal(sink, 'TypeError');
    await context.close();
  });
});

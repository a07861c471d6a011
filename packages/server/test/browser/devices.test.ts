import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, registerUser, screenshot, signInWithForm, skipReason, startUi, statusText, waitUntil } from './browser.js';
import type { UiHarness } from './browser.js';

const skip = skipReason();

describe('browser: devices', { skip }, () => {
  let ui: UiHarness;
  before(async () => {
    ui = await startUi();
  });
  after(async () => {
    await ui?.close();
  });

  it('a second browser ends the first\'s session (either mode) on the Devices page; the first is signed out on its next action', async () => {
    const email = 'lin@example.com';
    await registerUser(ui.server, email);
    // Three browsers (contexts) of one user: A with a session cookie, B with a JWT, C ends both.
    const a = await ui.newContext();
    const b = await ui.newContext();
    const c = await ui.newContext();
    const pa = await ui.open(a);
    const pb = await ui.open(b);
    const pc = await ui.open(c);
    await signInWithForm(pa.page, email, 'session');
    await signInWithForm(pb.page, email, 'jwt');
    await signInWithForm(pc.page, email, 'session');

    const page = pc.page;
    await page.locator('nav a[data-route="devices"]').click();
    await page.waitForURL(/#\/devices$/);
    const rows = page.locator('#devices-rows tr');
    await rows.nth(2).waitFor();
    assert.equal(await rows.count(), 3);
    assert.equal(await page.locator('#devices-caption').innerText(), '3 active sessions');
    assert.equal(await page.locator('#devices-rows tr.current').count(), 1);
    const text = await page.locator('#devices-rows').innerText();
    assert.match(text, /Chrome on Linux/);
    assert.match(text, /127\.0\.0\.1/);
    assert.match(text, /Session cookie/);
    assert.match(text, /JWT/);
    assert.match(await page.locator('#devices-rows tr.current').innerText(), /This device/);
    await screenshot(page, 'devices');

    // End B's record (the JWT row), then A's (the other row that is not this device's).
    const targets = [page.locator('#devices-rows tr', { hasText: 'JWT' }), page.locator('#devices-rows tr:not(.current)')];
    for (const [i, target] of targets.entries()) {
      await target.locator('button').click();
      await page.locator('#status.ok').filter({ hasText: /Ended the session on Chrome on Linux/ }).waitFor();
      await waitUntil(page, `document.querySelectorAll('#devices-rows tr').length === ${2 - i}`);
    }
    assert.equal(await page.locator('#devices-caption').innerText(), '1 active session');

    // A (session cookie) and B (JWT, whose access token has not expired) on their next action.
    for (const watched of [pa, pb]) {
      await watched.page.locator('#account-reload').click();
      await watched.page.waitForURL(/#\/signin$/);
      assert.match(await statusText(watched.page), /^You have been signed out/);
      assert.equal(await watched.page.locator('#whoami-badge').innerText(), 'Not signed in');
      assert.equal(await watched.page.locator('#signin-forms').isVisible(), true);
    }

    // C signs out everywhere, from the keyboard.
    await page.locator('#devices-logout-all').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/signin$/);
    assert.match(await statusText(page), /Signed out everywhere/);
    assert.deepEqual(await c.cookies(), []);

    assertNoProblems([pa, pb, pc]);
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, contrastFailures, registerUser, signInWithForm, skipReason, startUi, statusText, waitUntil } from './browser.js';
import type { UiHarness } from './browser.js';

const skip = skipReason();
const ROUTES = ['signin', 'account', 'devices', 'inspector', 'lab'] as const;

describe('browser: every page', { skip }, () => {
  let ui: UiHarness;
  before(async () => {
    ui = await startUi();
  });
  after(async () => {
    await ui?.close();
  });

  it('signed out: pages needing a sign-in send you to it and say why; no console errors or CSP violations', async () => {
    const context = await ui.newContext();
    // A deep link first (a fresh load), then every route by its hash.
    const w = await ui.open(context, '#/account');
    const { page } = w;
    for (const route of ['account', 'devices', 'inspector', 'lab', 'signin'] as const) {
      if (route !== 'account') await page.goto(`${ui.baseUrl}/#/${route}`);
      if (route === 'account' || route === 'devices') {
        await page.waitForURL(/#\/signin$/);
        assert.match(await statusText(page), /You are not signed in\. Sign in to see your (account|devices)\./);
      } else {
        assert.match(page.url(), new RegExp(`#/${route}$`));
      }
      const shown = route === 'account' || route === 'devices' ? 'signin' : route;
      await page.locator(`#page-${shown}`).waitFor();
      assert.equal(await page.locator('.page:not([hidden])').count(), 1, 'one page at a time');
      if (route === 'lab') await page.locator('#lab-bench p').waitFor();
      assert.deepEqual(await contrastFailures(page), [], `contrast on ${route}`);
    }
    // The checker itself finds low contrast (a control, added through the CSSOM).
    await page.evaluate(`(() => {
      const p = document.createElement('p');
      p.textContent = 'pale grey text';
      p.style.color = '#aaaaaa';
      document.getElementById('main').append(p);
    })()`);
    assert.deepEqual(await contrastFailures(page), ['p "pale grey text": 2.17:1']);
    assertNoProblems(w);
    await context.close();
  });

  it('keyboard: skip link, then the navigation; a route change moves focus to the page heading; focus is visible', async () => {
    await registerUser(ui.server, 'kim@example.com');
    const context = await ui.newContext();
    const w = await ui.open(context);
    const { page } = w;
    const focused = () => page.evaluate<string>(`(() => {
      const el = document.activeElement;
      return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + el.textContent.trim().slice(0, 30);
    })()`);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'a Skip to content');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'a Sign in');
    const outline = await page.evaluate<[string, number]>(`(() => {
      const style = getComputedStyle(document.activeElement);
      return [style.outlineStyle, parseFloat(style.outlineWidth)];
    })()`);
    assert.equal(outline[0], 'solid', 'a visible focus ring');
    assert.ok((outline[1] as number) >= 2);
    assert.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Sign in');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
    assert.equal(await focused(), 'a Token inspector');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/inspector$/);
    await waitUntil(page, "document.activeElement && document.activeElement.id === 'inspector-heading'");
    assert.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Token inspector');

    // The sign-in form, by keyboard only.
    await page.goto(`${ui.baseUrl}/#/signin`);
    await page.locator('#signin-email').focus();
    await page.keyboard.type('kim@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type('correct horse battery staple');
    await page.keyboard.press('Tab'); // show password
    await page.keyboard.press('Tab'); // the mode radio group (session checked)
    await page.keyboard.press('ArrowDown'); // JWT
    assert.equal(await page.locator('#mode-jwt').isChecked(), true);
    await page.keyboard.press('Enter'); // submits the form
    await page.waitForURL(/#\/account$/);
    await page.locator('#account-mode').filter({ hasText: 'JWT' }).waitFor();

    // Every form control has a label.
    const unlabelled = await page.evaluate<string[]>(`[...document.querySelectorAll('input, textarea, select')]
      .filter((el) => el.labels.length === 0).map((el) => el.id)`);
    assert.deepEqual(unlabelled, []);
    assertNoProblems(w);
    await context.close();
  });

  it('signed in: every page renders with readable contrast and without console errors or CSP violations', async () => {
    await registerUser(ui.server, 'lee@example.com');
    const context = await ui.newContext();
    const w = await ui.open(context);
    await signInWithForm(w.page, 'lee@example.com', 'jwt');
    for (const route of ROUTES) {
      await w.page.locator(`nav a[data-route="${route}"]`).click();
      await w.page.waitForURL(new RegExp(`#/${route}$`));
      if (route === 'devices') await w.page.locator('#devices-rows tr').first().waitFor();
      if (route === 'inspector') {
        await w.page.locator('#inspector-use-current').click();
        await w.page.locator('#inspector-verdict.ok').waitFor();
      }
      if (route === 'lab') await w.page.locator('#lab-bench p').waitFor();
      assert.deepEqual(await contrastFailures(w.page), [], `contrast on ${route}`);
    }
    assertNoProblems(w);
    await context.close();
  });
});

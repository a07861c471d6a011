import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, GOOD_PASSWORD, screenshot, signInWithForm, skipReason, startUi, statusText, waitUntil } from './browser.js';
import type { UiHarness } from './browser.js';

const skip = skipReason();

describe('browser: sign up and sign in', { skip }, () => {
  let ui: UiHarness;
  before(async () => {
    ui = await startUi();
  });
  after(async () => {
    await ui?.close();
  });

  it('sign up (rules shown first, weak password explained), then sign in with a session cookie, account, sign out', async () => {
    const context = await ui.newContext();
    const watched = await ui.open(context);
    const { page } = watched;
    assert.match(page.url(), /#\/signin$/, 'signed out: the sign-in page');

    // The rules are on the page before anything is submitted.
    const rules = await page.locator('#password-rules').innerText();
    assert.match(rules, /At least 15 characters/);
    assert.match(rules, /At most 1024 characters/);
    assert.match(rules, /commonly used or leaked/);
    assert.match(rules, /No other rules/);
    assert.equal(await page.locator('#signup-password').getAttribute('autocomplete'), 'new-password');
    assert.equal(await page.locator('#signup-email').getAttribute('autocomplete'), 'email');
    assert.equal(await page.locator('#signin-email').getAttribute('autocomplete'), 'username');
    assert.equal(await page.locator('#signin-password').getAttribute('autocomplete'), 'current-password');

    // Each mode is explained in one sentence.
    assert.match(await page.locator('#mode-session-help').innerText(), /signing out takes effect everywhere at once/);
    assert.match(await page.locator('#mode-jwt-help').innerText(), /any service can check on its own/);

    await page.locator('#signup-email').fill('ada@example.com');
    // Pasting works (no paste blocking): insertText is what a paste or a password manager does.
    await page.locator('#signup-password').focus();
    await page.keyboard.insertText('too short');
    assert.match(await page.locator('#signup-password-count').innerText(), /9 characters so far: 6 more needed/);
    await page.locator('#signup-submit').click();
    await page.locator('#status.error').waitFor();
    assert.equal(await statusText(page), 'The password must be at least 15 characters long.');

    await page.locator('#signup-password').fill('1qaz2wsx3edc4rfv');
    await page.locator('#signup-submit').click();
    await page.locator('#status.error').filter({ hasText: /common/ }).waitFor();

    await page.locator('#signup-password').fill(GOOD_PASSWORD);
    await page.locator('#signup-submit').click();
    await page.locator('#status.ok').waitFor();
    assert.match(await statusText(page), /Account created for ada@example\.com/);
    assert.equal(await page.locator('#signin-email').inputValue(), 'ada@example.com');
    assert.equal(await page.locator('#signup-password').inputValue(), '', 'the password is not kept in the form');

    await page.locator('#signin-email').fill('ada@example.com');
    await screenshot(page, 'signin');

    // A wrong password, in plain words.
    await page.locator('#signin-password').fill('not the right password at all');
    await page.locator('#signin-submit').click();
    await page.locator('#status.error').waitFor();
    assert.match(await statusText(page), /That email and password do not match an account/);

    await signInWithForm(page, 'ada@example.com', 'session');
    assert.match(await statusText(page), /Signed in as ada@example\.com with a session cookie/);
    assert.equal(await page.locator('#account-email').innerText(), 'ada@example.com');
    assert.equal(await page.locator('#account-mode').innerText(), 'a session cookie');
    assert.equal(await page.locator('#account-expires-label').innerText(), 'Session expires');
    assert.match(await page.locator('#account-expires-countdown').innerText(), /^\(in 23 h 59 min \d+ s\)$/);
    assert.match(await page.locator('#account-absolute-countdown').innerText(), /^\(in 29 days 23 h 59 min\)$/);
    assert.notEqual(await page.locator('#account-created').innerText(), 'unknown');
    assert.match(await page.locator('#whoami-badge').innerText(), /Signed in as ada@example\.com · session cookie/);
    await screenshot(page, 'account');

    // The countdown is live.
    const before = await page.locator('#account-expires-countdown').innerText();
    await waitUntil(page, `document.getElementById('account-expires-countdown').textContent !== ${JSON.stringify(before)}`, 3000);

    // Still signed in after a reload (the HttpOnly cookie), nothing in web storage.
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    assert.match(page.url(), /#\/account$/);
    await page.locator('#account-email').filter({ hasText: 'ada@example.com' }).waitFor();
    assert.deepEqual(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]'), [0, 0, '']);
    const cookies = await context.cookies();
    assert.deepEqual(cookies.map((c) => [c.name, c.httpOnly, c.secure]), [['__Host-tessera_session', true, true]]);

    await page.locator('#account-logout').click();
    await page.waitForURL(/#\/signin$/);
    assert.equal(await statusText(page), 'Signed out.');
    assert.equal(await page.locator('#whoami-badge').innerText(), 'Not signed in');
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    assert.match(page.url(), /#\/signin$/, 'signed out for good');

    assertNoProblems(watched);
    await context.close();
  });

  it('sign in with a JWT: token in memory only, refresh cookie restores it after a reload', async () => {
    await ui.server.app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'grace@example.com', password: GOOD_PASSWORD } });
    const context = await ui.newContext();
    const watched = await ui.open(context);
    const { page } = watched;
    await signInWithForm(page, 'grace@example.com', 'jwt');
    assert.match(await statusText(page), /Signed in as grace@example\.com with a JWT/);
    assert.equal(await page.locator('#account-mode').innerText(), 'a JWT (access token + rotating refresh token)');
    assert.equal(await page.locator('#account-expires-label').innerText(), 'Access token expires');
    assert.match(await page.locator('#account-expires-countdown').innerText(), /^\(in 1[45] min \d+ s\)$/);

    const cookies = await context.cookies();
    assert.deepEqual(cookies.map((c) => [c.name, c.httpOnly, c.path]), [['__Secure-tessera_refresh', true, '/auth/refresh']]);
    assert.deepEqual(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]'), [0, 0, '']);

    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    await page.locator('#account-mode').filter({ hasText: 'JWT' }).waitFor();
    assert.match(await page.locator('#whoami-badge').innerText(), /grace@example\.com · JWT/);

    await page.locator('#account-logout').click();
    await page.waitForURL(/#\/signin$/);
    assert.deepEqual(await context.cookies(), [], 'both cookies cleared');
    assertNoProblems(watched);
    await context.close();
  });
});

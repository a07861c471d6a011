/**
 * The account lifecycle in the browser (issue 8: "the flows work from the web UI"): mail is read
 * where a developer reads it, in the page's development-outbox panel, and its links are followed
 * by clicking them. Verification, password reset, email change, deletion, and the sign-in
 * refusals of a disabled or unverified account.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  assertNoProblems, contrastFailures, freePort, GOOD_PASSWORD, registerUser, screenshot, signInWithForm, skipReason, startUi, statusText, waitUntil,
} from './browser.js';
import type { UiHarness } from './browser.js';

const skip = skipReason();
const ADMIN_KEY = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
const NEW_PASSWORD = 'purple elephants juggle quietly at dawn';

/** A server whose issuer is the page's own origin (mailed links point back to the page), with the outbox on. */
async function startLinkedUi(env: Record<string, string> = {}, shared?: UiHarness['browser']): Promise<UiHarness> {
  const port = await freePort();
  return startUi({
    PORT: String(port),
    TESSERA_ISSUER: `http://localhost:${port}`,
    TESSERA_DEV_OUTBOX_HTTP: 'true',
    TESSERA_ADMIN_KEYS: ADMIN_KEY,
    ...env,
  }, shared);
}

/** The newest message in the outbox panel to `to` whose subject is `subject` (waits for it). */
async function outboxMail(page: Page, to: string, subject: string) {
  const mail = page.locator('#dev-outbox-list li.mail')
    .filter({ has: page.locator('h3', { hasText: subject }) })
    .filter({ has: page.locator('strong', { hasText: to }) })
    .first();
  await mail.waitFor({ timeout: 15_000 });
  return mail;
}

/** The link of that message: its anchor, and where it points. */
async function outboxLink(page: Page, to: string, subject: string) {
  const mail = await outboxMail(page, to, subject);
  const anchors = mail.locator('a');
  assert.equal(await anchors.count(), 1, 'one link in an account mail');
  const href = (await anchors.first().getAttribute('href'))!;
  return { anchor: anchors.first(), href };
}

async function waitForStatus(page: Page, kind: 'ok' | 'error', text: RegExp): Promise<string> {
  await page.locator(`#status.${kind}`).filter({ hasText: text }).waitFor({ timeout: 10_000 });
  return statusText(page);
}

async function href(page: Page): Promise<string> {
  return page.evaluate<string>('location.href');
}

describe('browser: account lifecycle', { skip }, () => {
  let ui: UiHarness;
  before(async () => {
    ui = await startLinkedUi();
  });
  after(async () => {
    await ui?.close();
  });

  it('sign up → the verification mail in the outbox panel → its link verifies, the token leaves the address; the same link again is refused', async () => {
    const context = await ui.newContext();
    const watched = await ui.open(context);
    const { page } = watched;

    // The panel is there, labelled as what it is.
    await page.locator('#dev-outbox').waitFor();
    assert.equal(await page.locator('#dev-outbox-heading').innerText(), 'Development outbox — not sent');

    await page.locator('#signup-email').fill('vera@example.com');
    await page.locator('#signup-password').fill(GOOD_PASSWORD);
    await page.locator('#signup-submit').click();
    assert.match(await waitForStatus(page, 'ok', /Account created/), /mailed you a link to verify/);

    const mail = await outboxMail(page, 'vera@example.com', 'Verify your email address');
    const text = await mail.locator('pre').innerText();
    assert.match(text, /Please confirm that vera@example\.com is the email address of your account/);
    assert.match(text, /Or enter this code:/);
    // Plain text only: nothing of the HTML part reached the page.
    assert.equal(await page.locator('#dev-outbox [style], #dev-outbox-list pre :not(a)').count(), 0);
    const { anchor, href: link } = await outboxLink(page, 'vera@example.com', 'Verify your email address');
    assert.ok(link.startsWith(`${ui.baseUrl}/#/verify-email?token=`), link);
    assert.equal(await anchor.innerText(), link, 'the link shows where it goes');

    // Following it: verified, and the token is gone from the address at once (and from the history).
    await anchor.click();
    assert.match(await waitForStatus(page, 'ok', /is verified/), /^vera@example\.com is verified\./);
    assert.equal(await href(page), `${ui.baseUrl}/#/verify-email`);
    assert.equal(await page.locator('#verify-form').isHidden(), true);
    assert.equal(await page.locator('#verify-next a').innerText(), 'Sign in');
    assert.deepEqual(await contrastFailures(page), []);
    await screenshot(page, 'verify-email');
    await page.goBack();
    await page.waitForURL(/#\/signin$/);
    await page.goForward();
    await page.waitForURL(/#\/verify-email$/);
    assert.ok(!(await href(page)).includes('token'), 'no history entry holds the token');

    // The same link a second time, opened afresh (another tab): refused in plain words.
    const again = await ui.open(context, link.slice(ui.baseUrl.length + 1));
    assert.match(await waitForStatus(again.page, 'error', /does not work/), /already been used, has expired/);
    assert.equal(await href(again.page), `${ui.baseUrl}/#/verify-email`);
    assert.equal(await again.page.locator('#verify-form').isVisible(), true, 'a code can still be pasted');

    // Signed in, the account page says so; no resend button.
    await signInWithForm(again.page, 'vera@example.com', 'session');
    assert.match(await again.page.locator('#account-verified').innerText(), /^Verified on /);
    assert.equal(await again.page.locator('#account-resend-box').isHidden(), true);

    assertNoProblems([watched, again]);
    await context.close();
  });

  it('a code pasted by hand works too; an unverified account can ask for a new mail', async () => {
    await registerUser(ui.server, 'uma@example.com');
    const context = await ui.newContext();
    const watched = await ui.open(context);
    const { page } = watched;
    await signInWithForm(page, 'uma@example.com', 'jwt');
    assert.equal(await page.locator('#account-verified').innerText(), 'Not verified yet');
    await page.locator('#account-resend').click();
    await waitForStatus(page, 'ok', /A new verification mail is on its way/);
    await waitUntil(page, `[...document.querySelectorAll('#dev-outbox-list li.mail strong')].filter((e) => e.textContent === 'uma@example.com').length === 2`, 10_000);
    await page.mouse.move(0, 0);
    assert.deepEqual(await contrastFailures(page), []);
    await screenshot(page, 'account-lifecycle');

    const { href: link } = await outboxLink(page, 'uma@example.com', 'Verify your email address');
    const token = decodeURIComponent(new URL(link.replace('/#/', '/')).searchParams.get('token')!);
    await page.goto(`${ui.baseUrl}/#/verify-email`);
    await page.locator('#verify-submit').click();
    await waitForStatus(page, 'error', /Paste the code/);
    await page.locator('#verify-code').fill(token);
    await page.locator('#verify-submit').click();
    await waitForStatus(page, 'ok', /uma@example\.com is verified/);
    await page.locator('#verify-next a', { hasText: 'Go to your account' }).click();
    await page.waitForURL(/#\/account$/);
    await page.locator('#account-verified').filter({ hasText: /^Verified on / }).waitFor();
    assertNoProblems(watched);
    await context.close();
  });

  it('forgot password → the link from the outbox → a new password (rules shown first) → the new one signs in, the old one fails', async () => {
    await registerUser(ui.server, 'rosa@example.com');
    const context = await ui.newContext();
    const watched = await ui.open(context);
    const { page } = watched;

    // By keyboard: the disclosure under the sign-in form opens with Enter.
    await page.locator('#signin-email').fill('rosa@example.com');
    await page.locator('#forgot summary').focus();
    await page.keyboard.press('Enter');
    await page.locator('#forgot-email').waitFor();
    assert.equal(await page.locator('#forgot-email').inputValue(), 'rosa@example.com', 'starts from the sign-in address');
    assert.equal(await page.locator('#forgot-email').getAttribute('autocomplete'), 'email');

    // The answer is the same for an unknown address as for a known one.
    await page.locator('#forgot-email').fill('nobody@example.com');
    await page.locator('#forgot-submit').click();
    const unknown = await waitForStatus(page, 'ok', /is on its way/);
    await page.locator('#forgot-email').fill('rosa@example.com');
    await page.locator('#forgot-submit').click();
    await waitUntil(page, `document.getElementById('status').textContent.includes('rosa@example.com')`, 15_000);
    const known = await statusText(page);
    assert.equal(known.replace('rosa@example.com', 'X'), unknown.replace('nobody@example.com', 'X'));
    assert.match(known, /^If an account exists for rosa@example\.com, a mail with a link to choose a new password is on its way\./);
    assert.deepEqual(await contrastFailures(page), []);
    await page.mouse.move(0, 0);
    await screenshot(page, 'forgot-password');

    const { anchor } = await outboxLink(page, 'rosa@example.com', 'Reset your password');
    await anchor.click();
    await page.waitForURL(/#\/reset-password$/);
    assert.equal(await href(page), `${ui.baseUrl}/#/reset-password`, 'the token left the address');
    await page.locator('#reset-code-field').waitFor({ state: 'hidden' });
    assert.equal(await page.locator('#reset-code-field').isHidden(), true, 'no code to paste: the link brought it');
    const rules = await page.locator('#reset-rules').innerText();
    assert.match(rules, /At least 15 characters/);
    assert.match(rules, /No other rules/);
    assert.equal(await page.locator('#reset-password').getAttribute('autocomplete'), 'new-password');
    assert.equal(await page.locator('#reset-password-again').getAttribute('autocomplete'), 'new-password');

    await page.locator('#reset-password').fill(NEW_PASSWORD);
    await page.locator('#reset-password-again').fill(NEW_PASSWORD);
    assert.match(await page.locator('#reset-password-count').innerText(), /39 characters: long enough/);
    assert.deepEqual(await contrastFailures(page), []);
    await screenshot(page, 'reset-password');

    await page.locator('#reset-password-again').fill(`${NEW_PASSWORD}!`);
    await page.locator('#reset-submit').click();
    await waitForStatus(page, 'error', /The two passwords are not the same/);
    // A refused password does not spend the link.
    await page.locator('#reset-password').fill('too short');
    assert.match(await page.locator('#reset-password-count').innerText(), /9 characters so far: 6 more needed/);
    await page.locator('#reset-password-again').fill('too short');
    await page.locator('#reset-submit').click();
    await waitForStatus(page, 'error', /at least 15 characters/);
    await page.locator('#reset-password').fill(NEW_PASSWORD);
    await page.locator('#reset-password-again').fill(NEW_PASSWORD);
    await page.locator('#reset-submit').click();
    await waitForStatus(page, 'ok', /Your new password is set/);
    assert.equal(await page.locator('#reset-password').inputValue(), '', 'the password is not kept in the form');

    // The old password fails, the new one signs in.
    await page.locator('#reset-done a').click();
    await page.waitForURL(/#\/signin$/);
    await page.locator('#signin-email').fill('rosa@example.com');
    await page.locator('#signin-password').fill(GOOD_PASSWORD);
    await page.locator('#signin-submit').click();
    await waitForStatus(page, 'error', /That email and password do not match an account/);
    await signInWithForm(page, 'rosa@example.com', 'session', NEW_PASSWORD);
    assert.match(await page.locator('#whoami-badge').innerText(), /rosa@example\.com/);
    assertNoProblems(watched);
    await context.close();
  });

  it('change email (a wrong current password keeps you signed in) → the confirmation link → the account shows the new address', async () => {
    await registerUser(ui.server, 'old.address@example.com');
    const context = await ui.newContext();
    const watched = await ui.open(context);
    const { page } = watched;
    await signInWithForm(page, 'old.address@example.com', 'session');
    assert.equal(await page.locator('#email-new').getAttribute('autocomplete'), 'email');
    assert.equal(await page.locator('#email-password').getAttribute('autocomplete'), 'current-password');
    assert.match(await page.locator('#email-form-help').innerText(), /We mail a confirmation link to the new address/);

    await page.locator('#email-new').fill('new.address@example.com');
    await page.locator('#email-password').fill('not my password at all, sorry');
    await page.locator('#email-submit').click();
    await waitForStatus(page, 'error', /Your current password is not correct/);
    assert.match(page.url(), /#\/account$/, 'still signed in: a wrong password is not a lost sign-in');
    assert.match(await page.locator('#whoami-badge').innerText(), /old\.address@example\.com/);

    await page.locator('#email-password').fill(GOOD_PASSWORD);
    await page.locator('#email-submit').click();
    assert.match(await waitForStatus(page, 'ok', /Almost done/), /confirmation link to new\.address@example\.com/);
    await outboxMail(page, 'old.address@example.com', 'A change of your email address was requested');
    const { anchor, href: link } = await outboxLink(page, 'new.address@example.com', 'Confirm your new email address');
    await anchor.click();
    await waitForStatus(page, 'ok', /the email address of your account is now new\.address@example\.com/);
    assert.equal(await href(page), `${ui.baseUrl}/#/confirm-email`, 'the token left the address');
    await page.locator('#whoami-badge').filter({ hasText: 'new.address@example.com' }).waitFor();
    assert.deepEqual(await contrastFailures(page), []);
    await screenshot(page, 'confirm-email');

    await page.locator('#confirm-next a', { hasText: 'Go to your account' }).click();
    await page.waitForURL(/#\/account$/);
    await page.locator('#account-email').filter({ hasText: 'new.address@example.com' }).waitFor();

    // The link again: used up.
    await page.goto(link);
    assert.match(await waitForStatus(page, 'error', /does not work/), /already been used/);
    assert.equal(await href(page), `${ui.baseUrl}/#/confirm-email`);
    assertNoProblems(watched);
    await context.close();
  });

  it('delete account: password and confirmation asked, then signed out here and the sign-in fails', async () => {
    await registerUser(ui.server, 'dora@example.com');
    const context = await ui.newContext();
    const watched = await ui.open(context);
    const { page } = watched;
    await signInWithForm(page, 'dora@example.com', 'jwt');
    assert.equal(await page.locator('#delete-password').getAttribute('autocomplete'), 'current-password');

    await page.locator('#delete-password').fill(GOOD_PASSWORD);
    await page.locator('#delete-submit').click();
    await waitForStatus(page, 'error', /Tick the box/);
    await page.locator('#delete-password').fill('wrong password, definitely wrong');
    await page.locator('#delete-confirm').check();
    await page.locator('#delete-submit').click();
    await waitForStatus(page, 'error', /Your current password is not correct/);
    assert.match(page.url(), /#\/account$/);

    await page.locator('#delete-password').fill(GOOD_PASSWORD);
    await page.locator('#delete-submit').click();
    await page.waitForURL(/#\/signin$/);
    assert.match(await statusText(page), /Your account has been deleted/);
    assert.equal(await page.locator('#whoami-badge').innerText(), 'Not signed in');
    assert.deepEqual(await context.cookies(), [], 'the refresh cookie is cleared');
    assert.equal(await page.evaluate<string | null>(`import('/ui/js/api.js').then((m) => m.currentAccessToken())`), null, 'no token in memory');

    await page.locator('#signin-email').fill('dora@example.com');
    await page.locator('#signin-password').fill(GOOD_PASSWORD);
    await page.locator('#signin-submit').click();
    await waitForStatus(page, 'error', /That email and password do not match an account/);
    assertNoProblems(watched);
    await context.close();
  });

  it('a disabled account: sign-in is refused in plain words', async () => {
    const id = await registerUser(ui.server, 'dis@example.com');
    const res = await ui.server.app.inject({ method: 'POST', url: `/admin/users/${id}/disable`, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(res.statusCode, 204, res.body);
    const context = await ui.newContext();
    const watched = await ui.open(context);
    const { page } = watched;
    await page.locator('#signin-email').fill('dis@example.com');
    await page.locator('#signin-password').fill(GOOD_PASSWORD);
    await page.locator('#signin-submit').click();
    assert.match(await waitForStatus(page, 'error', /disabled/), /^This account is disabled, so it cannot be used\./);
    assert.match(page.url(), /#\/signin$/);
    assertNoProblems(watched);
    await context.close();
  });

  it('with TESSERA_REQUIRE_VERIFIED_EMAIL: sign-in is refused until the mailed link is followed', async () => {
    const strict = await startLinkedUi({ TESSERA_REQUIRE_VERIFIED_EMAIL: 'true' }, ui.browser);
    try {
      await registerUser(strict.server, 'una@example.com');
      const context = await strict.newContext();
      const watched = await strict.open(context);
      const { page } = watched;
      await page.locator('#signin-email').fill('una@example.com');
      await page.locator('#signin-password').fill(GOOD_PASSWORD);
      await page.locator('#signin-submit').click();
      assert.match(await waitForStatus(page, 'error', /not verified/), /^Your email address is not verified yet.*open it, then sign in again\.$/);

      const { anchor } = await outboxLink(page, 'una@example.com', 'Verify your email address');
      await anchor.click();
      await waitForStatus(page, 'ok', /una@example\.com is verified/);
      await signInWithForm(page, 'una@example.com', 'session');
      assertNoProblems(watched);
      await context.close();
    } finally {
      await strict.close();
    }
  });

  it('the outbox panel: links to another origin stay text; without an outbox (404) the panel stays hidden', async () => {
    // The default issuer (http://127.0.0.1:3000) is not the page's origin (http://localhost:<port>).
    const foreign = await startUi({ TESSERA_DEV_OUTBOX_HTTP: 'true' }, ui.browser);
    const plain = await startUi({}, ui.browser);
    try {
      await registerUser(foreign.server, 'fay@example.com');
      const context = await foreign.newContext();
      const w1 = await foreign.open(context);
      const mail = await outboxMail(w1.page, 'fay@example.com', 'Verify your email address');
      assert.match(await mail.locator('pre').innerText(), /http:\/\/127\.0\.0\.1:3000\/#\/verify-email\?token=/);
      assert.equal(await mail.locator('a').count(), 0, 'not a link: it leaves this page');
      assertNoProblems(w1);
      await context.close();

      const context2 = await plain.newContext();
      const w2 = await plain.open(context2);
      await w2.page.locator('#dev-outbox[data-outbox="off"]').waitFor({ state: 'attached' });
      assert.equal(await w2.page.locator('#dev-outbox').isHidden(), true);
      assertNoProblems(w2);
      await context2.close();
    } finally {
      await foreign.close();
      await plain.close();
    }
  });
});

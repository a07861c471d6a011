import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, callPageModule, registerUser, signInWithForm, skipReason, startUi } from './browser.js';
import type { UiHarness } from './browser.js';

const skip = skipReason();

describe('browser: refresh across tabs', { skip }, () => {
  let ui: UiHarness;
  before(async () => {
    // A 2-second access token: every action of a tab renews it first.
    ui = await startUi({ TESSERA_ACCESS_TOKEN_TTL: '2', TESSERA_CLOCK_TOLERANCE: '0' });
  });
  after(async () => {
    await ui?.close();
  });

  it('two tabs of one browser refreshing at the same moment both stay signed in (Web Locks: no reuse detection)', async () => {
    const email = 'tabs@example.com';
    const userId = await registerUser(ui.server, email);
    const context = await ui.newContext();
    const one = await ui.open(context);
    await signInWithForm(one.page, email, 'jwt');
    // The second tab gets its own access token through the shared refresh cookie.
    const two = await ui.open(context, '#/account');
    await two.page.locator('#account-mode').filter({ hasText: 'JWT' }).waitFor();
    const sessionId = await one.page.locator('#account-session-id').innerText();
    assert.equal(await two.page.locator('#account-session-id').innerText(), sessionId, 'one refresh family, shared by the tabs');
    assert.equal(await one.page.evaluate('typeof navigator.locks.request'), 'function', 'Web Locks are available');

    const reuse = () => ui.server.metrics.render().then((text) => /^tessera_refresh_reuse_detected_total (\d+)/m.exec(text)?.[1]);
    const reuseBefore = await reuse();
    assert.equal(reuseBefore, '0');

    const generation = async () => (await ui.server.auth.options.store.getSessionAndUser(sessionId))!.session.generation;
    const generationBefore = await generation();

    // Both tabs call the page's refresh at once, several rounds.
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([one, two].map((tab) => callPageModule(tab.page, '/ui/js/api.js', 'refresh')));
      assert.deepEqual(results, ['ok', 'ok'], `round ${round}`);
    }
    // Serialized by the Web Lock: each refresh rotated the token (the second tab presented the
    // cookie the first had just rotated), none fell back on the server's reuse leeway.
    assert.equal(await generation(), generationBefore + 6);

    // And through the UI: the tokens have expired, so both tabs renew on the same click.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await Promise.all([one.page.locator('#account-reload').click(), two.page.locator('#account-reload').click()]);
    for (const tab of [one, two]) {
      await tab.page.locator('#status.ok').filter({ hasText: 'Up to date.' }).waitFor();
      assert.match(tab.page.url(), /#\/account$/);
      assert.equal(await tab.page.locator('#account-session-id').innerText(), sessionId);
    }
    assert.equal(await reuse(), reuseBefore, 'no refresh-token reuse was detected');

    // The family is still alive on the server.
    const list = await ui.server.auth.listSessions(userId);
    assert.equal(list.length, 1);
    assert.equal(list[0]!.id, sessionId);
    assert.equal(list[0]!.mode, 'jwt');

    assertNoProblems([one, two]);
    await context.close();
  });

});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, GOOD_PASSWORD, launchChromium, registerUser, screenshot, signInWithForm, skipReason, startUi, statusText, waitUntil } from './browser.js';
import type { Browser } from 'playwright-core';
import type { UiHarness } from './browser.js';

const skip = skipReason();

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const unb64 = (part: string) => Buffer.from(part, 'base64url').toString('utf8');

describe('browser: token inspector', { skip }, () => {
  let ui: UiHarness;
  before(async () => {
    ui = await startUi();
  });
  after(async () => {
    await ui?.close();
  });

  it('verifies the current access token with the JWKS in the page, and flags a tampered one', async () => {
    await registerUser(ui.server, 'eve@example.com');
    const context = await ui.newContext();
    const watched = await ui.open(context);
    const { page } = watched;
    await signInWithForm(page, 'eve@example.com', 'jwt');
    await page.locator('nav a[data-route="inspector"]').click();
    await page.waitForURL(/#\/inspector$/);

    await page.locator('#inspector-use-current').click();
    await page.locator('#inspector-verdict.ok').waitFor();
    assert.match(await page.locator('#inspector-verdict').innerText(), /^Valid\. Signed by key \S+ \(EdDSA\) of this server's JWKS/);
    assert.equal(await page.locator('#inspector-problems li').count(), 0);
    assert.match(await page.locator('#inspector-header').innerText(), /"typ": "at\+jwt"/);
    const claims = await page.locator('#inspector-claims').innerText();
    assert.match(claims, /exp\s+expires\s+\d{10}\s+\w{3} \d+, \d{4}, .*\(in 1[45] min/);
    assert.match(claims, /iat\s+issued at/);
    const token = await page.locator('#inspector-token').inputValue();
    const [header, payload, signature] = token.split('.') as [string, string, string];

    const inspect = async (value: string) => {
      await page.locator('#inspector-token').fill(value);
      await page.locator('#inspector-submit').click();
      await page.locator('#inspector-verdict.error').waitFor();
      const codes = await page.locator('#inspector-problems code.reason').allInnerTexts();
      const verdict = await page.locator('#inspector-verdict').innerText();
      // Reset for the next one.
      await page.evaluate("document.getElementById('inspector-verdict').className = 'verdict'");
      return { codes, verdict };
    };

    // Tampered: another subject, the original signature.
    const claimsObject = JSON.parse(unb64(payload)) as Record<string, unknown>;
    const tampered = `${header}.${b64(JSON.stringify({ ...claimsObject, sub: 'the-admin' }))}.${signature}`;
    const t = await inspect(tampered);
    assert.match(t.verdict, /^Refused\. Tessera would refuse this token for this reason:/);
    assert.deepEqual(t.codes, ['bad_signature']);
    assert.match(await page.locator('#inspector-problems').innerText(), /changed after it was signed/);
    assert.match(await statusText(page), /The token is refused/);
    assert.match(await page.locator('#inspector-claims').innerText(), /the-admin/, 'still decoded, for inspection');
    await screenshot(page, 'inspector');

    // What else Tessera refuses, each with its reason.
    const headerObject = JSON.parse(unb64(header)) as Record<string, unknown>;
    const withHeader = (h: Record<string, unknown>, sig = signature) => `${b64(JSON.stringify(h))}.${payload}.${sig}`;
    assert.deepEqual((await inspect(withHeader({ ...headerObject, alg: 'none' }, ''))).codes, ['no_signature', 'alg_none', 'alg_mismatch']);
    assert.deepEqual((await inspect(withHeader({ ...headerObject, alg: 'HS256' }))).codes, ['alg_mismatch']);
    assert.deepEqual((await inspect(withHeader({ ...headerObject, kid: 'someone-elses-key' }))).codes, ['unknown_kid']);
    assert.deepEqual((await inspect(withHeader({ ...headerObject, jku: 'https://attacker.example/jwks.json' }))).codes, ['embedded_key', 'bad_signature']);
    assert.deepEqual((await inspect(withHeader({ ...headerObject, crit: ['exp'] }))).codes, ['crit', 'bad_signature']);
    assert.deepEqual((await inspect(withHeader({ ...headerObject, b64: false }))).codes, ['b64', 'bad_signature']);
    assert.deepEqual((await inspect(withHeader({ ...headerObject, typ: 'JWT' }))).codes, ['bad_typ', 'bad_signature']);
    const duplicate = `${header}.${b64(unb64(payload).replace(/^\{/, '{"sub":"the-admin",'))}.${signature}`;
    assert.deepEqual((await inspect(duplicate)).codes, ['duplicate_member', 'bad_signature']);
    assert.deepEqual((await inspect(`${header}.${payload}`)).codes, ['malformed']);
    assert.deepEqual((await inspect(`${header}.${payload}.${signature}=`)).codes, ['bad_base64url']);
    assert.deepEqual((await inspect(`${header}.${'A'.repeat(8200)}.${signature}`)).codes, ['too_large']);

    // A hostile claim is shown as text, never as markup.
    const hostile = `${header}.${b64(JSON.stringify({ ...claimsObject, sub: '<img src=x onerror=alert(1)>' }))}.${signature}`;
    await inspect(hostile);
    assert.equal(await page.locator('#inspector-claims img').count(), 0);
    assert.match(await page.locator('#inspector-claims').innerText(), /<img src=x onerror=alert\(1\)>/);

    assertNoProblems(watched);
    await context.close();
  });

  it('signed in with a session cookie there is no access token to inspect', async () => {
    await registerUser(ui.server, 'sam@example.com');
    const context = await ui.newContext();
    const watched = await ui.open(context);
    await signInWithForm(watched.page, 'sam@example.com', 'session');
    await watched.page.locator('nav a[data-route="inspector"]').click();
    await watched.page.waitForURL(/#\/inspector$/);
    // The page disables the button when it has entered (after the URL changed): wait for it.
    await waitUntil(watched.page, `document.getElementById('inspector-use-current').disabled === true`);
    assert.equal(await watched.page.locator('#inspector-use-current').isDisabled(), true);
    assert.match(await watched.page.locator('#inspector-token-hint').innerText(), /holds no access token/);
    assertNoProblems(watched);
    await context.close();
  });
});

describe('browser: token inspector with ES256 and RS256 keys', { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  for (const alg of ['ES256', 'RS256'] as const) {

    it(`verifies a pasted ${alg} token with WebCrypto and flags it tampered`, async () => {
      const ui = await startUi({ TESSERA_JWT_ALG: alg }, browser);
      await registerUser(ui.server, 'pat@example.com');
      const login = await ui.server.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'pat@example.com', password: GOOD_PASSWORD, mode: 'jwt' } });
      const token = (JSON.parse(login.body) as { accessToken: string }).accessToken;
      const context = await ui.newContext();
      const watched = await ui.open(context, '#/inspector');
      const { page } = watched;
      await page.locator('#inspector-token').fill(token);
      await page.locator('#inspector-submit').click();
      await page.locator('#inspector-verdict.ok').waitFor();
      assert.match(await page.locator('#inspector-verdict').innerText(), new RegExp(`^Valid\\. Signed by key \\S+ \\(${alg}\\)`));

      const [h, p, sig] = token.split('.') as [string, string, string];
      await page.locator('#inspector-token').fill(`${h}.${b64(JSON.stringify({ ...JSON.parse(unb64(p)), exp: 4102444800 }))}.${sig}`);
      await page.locator('#inspector-submit').click();
      await page.locator('#inspector-verdict.error').waitFor();
      assert.deepEqual(await page.locator('#inspector-problems code.reason').allInnerTexts(), ['bad_signature', 'ttl_too_long']);
      assertNoProblems(watched);
      await context.close();
      await ui.close();
    });
  }
});

/**
 * The web UI without a browser: what is served and how (content types, CSP, 405s, the JSON
 * endpoints), static rules on the page and its modules, and the in-page token verifier
 * (static/js/jwt.js) run under Node's WebCrypto against real keys and real Tessera tokens.
 * Behaviour in a real browser is in test/browser/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { UI_CONTENT_SECURITY_POLICY, UI_CONTENT_TYPES, UI_PATHS, uiAssets, uiStaticDir } from '../src/ui-page.js';
import { benchResultsPath, UI_JSON_PATHS } from '../src/ui-routes.js';
import { body, signUpAndIn, startTestServer } from './helpers/test-server.js';
import type { TestServer } from './helpers/test-server.js';

const { html, css, files } = uiAssets();
const modules = [...files.values()].filter((f) => f.path.endsWith('.js')).map((f) => ({ path: f.path, text: String(f.body) }));

/** Every start tag of `name` in the page, with its raw attribute text. */
function tags(name: string): string[] {
  return [...html.matchAll(new RegExp(`<${name}\\b([^>]*)>`, 'gi'))].map((m) => m[1] ?? '');
}

function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}="([^"]*)"`, 'i').exec(attrs);
  return m?.[1];
}

function listStatic(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) listStatic(join(dir, e.name), out);
    else out.push(join(dir, e.name));
  }
  return out;
}

describe('assets', () => {
  it('are read once; every file under static/ is served under /ui/ (index.html at /) with its content type', () => {
    assert.equal(uiAssets(), uiAssets());
    assert.deepEqual({ ...UI_PATHS }, { html: '/', js: '/ui/app.js', css: '/ui/app.css' });
    assert.ok(html.length > 2000 && css.length > 2000);
    const onDisk = listStatic(uiStaticDir()).map((p) => relative(uiStaticDir(), p).split('\\').join('/')).sort();
    const served = [...files.keys()].map((p) => (p === '/' ? 'index.html' : p.slice('/ui/'.length))).sort();
    assert.deepEqual(served, onDisk);
    for (const f of files.values()) {
      const expected = f.path === '/' ? UI_CONTENT_TYPES.html : f.path.endsWith('.js') ? UI_CONTENT_TYPES.js : f.path.endsWith('.css') ? UI_CONTENT_TYPES.css : UI_CONTENT_TYPES.svg;
      assert.equal(f.contentType, expected, f.path);
    }
    for (const name of ['api', 'account-api', 'jwt', 'config', 'dom', 'format', 'outbox', 'password-field', 'router', 'status', 'chart', 'verifier', 'pages/signin', 'pages/account', 'pages/account-manage', 'pages/devices', 'pages/inspector', 'pages/lab', 'pages/lab-bench', 'pages/mail-link', 'pages/verify-email', 'pages/reset-password', 'pages/confirm-email']) {
      assert.ok(files.has(`/ui/js/${name}.js`), name);
    }
  });

  it('the CSP is the strict one', () => {
    assert.equal(
      UI_CONTENT_SECURITY_POLICY,
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; require-trusted-types-for 'script'; trusted-types 'none'",
    );
  });
});

describe('the page', () => {
  it('loads one module script and one stylesheet; no inline script, style or handler', () => {
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /<html lang="en">/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.equal(scripts.length, 1);
    assert.equal(attr(scripts[0]![1]!, 'src'), '/ui/app.js');
    assert.equal(attr(scripts[0]![1]!, 'type'), 'module');
    assert.equal(scripts[0]![2]!.trim(), '');
    assert.ok(tags('link').some((a) => attr(a, 'rel') === 'stylesheet' && attr(a, 'href') === '/ui/app.css'));
    assert.doesNotMatch(html, /<style\b/i);
    assert.doesNotMatch(html, /\sstyle\s*=/i);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no on*= handlers');
    assert.doesNotMatch(html, /javascript:/i);
    // Every local URL the page names is served.
    for (const m of html.matchAll(/\s(?:src|href)="(\/ui\/[^"]+)"/g)) assert.ok(files.has(m[1]!), m[1]);
  });

  it('has the five routes in a labelled navigation, each page with a heading, hidden until routed', () => {
    assert.match(html, /<nav aria-label="Main">/);
    for (const route of ['signin', 'account', 'devices', 'inspector', 'lab']) {
      assert.match(html, new RegExp(`<a href="#/${route}" data-route="${route}">`));
      assert.match(html, new RegExp(`<section id="page-${route}" class="page" aria-labelledby="[a-z-]+" hidden>`));
    }
    // The pages that mailed links open have no place in the navigation.
    for (const route of ['verify-email', 'reset-password', 'confirm-email']) {
      assert.match(html, new RegExp(`<section id="page-${route}" class="page" aria-labelledby="[a-z-]+" hidden>`));
      assert.doesNotMatch(html, new RegExp(`data-route="${route}"`));
    }
    assert.equal(tags('h1').length, 8);
    assert.match(html, /<a class="skip-link" href="#main">/);
    assert.match(html, /id="status"[^>]*role="status"[^>]*aria-live="polite"/);
  });

  it('every control has a label; autocomplete fits each field; no paste blocking; forms post', () => {
    const controls = [...tags('input'), ...tags('textarea')];
    assert.equal(controls.length, 23);
    const labelled = new Set(tags('label').map((a) => attr(a, 'for')));
    for (const c of controls) {
      const id = attr(c, 'id');
      assert.ok(id !== undefined && labelled.has(id), `control without <label for>: ${c}`);
    }
    const byId = new Map(controls.map((a) => [attr(a, 'id'), a]));
    const autocomplete = (id: string) => attr(byId.get(id)!, 'autocomplete');
    assert.equal(autocomplete('signup-email'), 'email');
    assert.equal(autocomplete('signup-password'), 'new-password');
    assert.equal(autocomplete('signin-email'), 'username');
    assert.equal(autocomplete('signin-password'), 'current-password');
    assert.equal(autocomplete('lab-email'), 'username');
    assert.equal(autocomplete('lab-password'), 'current-password');
    assert.equal(autocomplete('inspector-token'), 'off');
    assert.equal(autocomplete('lab-admin-key'), 'off');
    assert.equal(autocomplete('forgot-email'), 'email');
    assert.equal(autocomplete('email-new'), 'email');
    assert.equal(autocomplete('email-password'), 'current-password');
    assert.equal(autocomplete('delete-password'), 'current-password');
    assert.equal(autocomplete('reset-password'), 'new-password');
    assert.equal(autocomplete('reset-password-again'), 'new-password');
    for (const id of ['verify-code', 'reset-code', 'confirm-code']) assert.equal(autocomplete(id), 'off', id);
    assert.doesNotMatch(html, /onpaste|oncopy|maxlength/i);
    for (const m of modules) assert.doesNotMatch(m.text, /['"](paste|copy)['"]/, `${m.path} listens to paste`);
    for (const form of tags('form')) assert.equal(attr(form, 'method'), 'post', 'a password must never end up in a URL');
  });

  it('states the password rules and explains each mode in one sentence, before anything is submitted', () => {
    const rules = /<div id="password-rules"[\s\S]*?<\/div>/.exec(html)![0].replace(/<[^>]+>/g, '');
    assert.match(rules, /At least 15 characters\./);
    assert.match(rules, /At most 1024 characters\./);
    assert.match(rules, /Not a commonly used or leaked password/);
    assert.match(rules, /No other rules/);
    assert.match(attr(tags('input').find((a) => attr(a, 'id') === 'signup-password')!, 'aria-describedby')!, /password-rules/);
    for (const id of ['mode-session-help', 'mode-jwt-help']) {
      const sentence = new RegExp(`<p id="${id}" class="hint">([^<]+)</p>`).exec(html)![1]!;
      assert.equal(sentence.match(/\.\s/g), null, `${id} is one sentence`);
      assert.ok(sentence.endsWith('.'));
    }
  });
});

describe('the modules', () => {
  it('parse as ES modules and import only served files', () => {
    for (const m of modules) {
      const file = join(uiStaticDir(), m.path.slice('/ui/'.length));
      const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
      assert.equal(check.status, 0, `${m.path}: ${check.stderr}`);
      for (const imp of m.text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const target = new URL(imp[1]!, `http://x${m.path}`).pathname;
        assert.ok(files.has(target), `${m.path} imports ${imp[1]} (${target}), which is not served`);
      }
    }
  });

  it('never use HTML sinks, eval, web storage or script-readable cookies; no inline style', () => {
    const banned = ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'localStorage', 'sessionStorage', 'document.cookie', 'eval(', 'new Function', 'setAttribute(\'style\'', '.style.', 'javascript:'];
    for (const m of modules) {
      for (const word of banned) assert.ok(!m.text.includes(word), `${m.path} uses ${word}`);
      assert.doesNotMatch(m.text, /setAttribute\(\s*['"]on/i, `${m.path} sets an on* attribute`);
    }
  });

  it('keep the access token in a module variable, refresh single-flight under a Web Lock, and broadcast no secret', () => {
    const api = modules.find((m) => m.path === '/ui/js/api.js')!.text;
    assert.match(api, /navigator\.locks/);
    assert.match(api, /locks\.request\('tessera-refresh'/);
    assert.match(api, /request\('POST', '\/auth\/refresh', \{ body: \{\} \}\)/);
    assert.match(api, /new BroadcastChannel\('tessera'\)/);
    for (const call of api.matchAll(/broadcast\(([^)]*)\)/g)) {
      if (call[1] === 'message') continue; // the definition
      assert.doesNotMatch(call[1]!, /token/i, `broadcast(${call[1]}) carries no token`);
    }
    // The refresh token of response bodies is never read.
    for (const m of modules) assert.ok(!m.text.includes('.refreshToken'), `${m.path} reads a refresh token`);
  });

  it('the stylesheet shows focus and never removes it from controls', () => {
    assert.match(css, /a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible/);
    assert.doesNotMatch(css, /^\s*(a|button|input|textarea)\b[^{]*:focus[^{]*\{[^}]*outline:\s*(none|0)/m);
  });
});

// ---------------------------------------------------------------------------------------

describe('serving', () => {
  let s: TestServer;
  let dir: string;
  before(async () => {
    s = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'tessera-ui-'));
  });
  after(async () => {
    await s.dispose();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.TESSERA_BENCH_RESULTS;
  });

  it('every asset: 200 with its type, the CSP, DENY framing, nosniff, no referrer, its own opener group; HEAD too; other methods 405', async () => {
    for (const f of files.values()) {
      const res = await s.app.inject({ method: 'GET', url: f.path });
      assert.equal(res.statusCode, 200, f.path);
      assert.equal(res.headers['content-type'], f.contentType, f.path);
      assert.equal(res.headers['content-security-policy'], UI_CONTENT_SECURITY_POLICY);
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin');
      assert.equal(res.body, String(f.body));
      const head = await s.app.inject({ method: 'HEAD', url: f.path });
      assert.equal(head.statusCode, 200, `HEAD ${f.path}`);
      const post = await s.app.inject({ method: 'POST', url: f.path, payload: {} });
      assert.equal(post.statusCode, 405, `POST ${f.path}`);
      assert.equal(post.headers.allow, 'GET, HEAD');
    }
    for (const url of ['/ui/js/../app.js', '/ui/../package.json', '/ui/js/nope.js', '/ui/', '/ui/js/']) {
      const res = await s.app.inject({ method: 'GET', url });
      if (url === '/ui/js/../app.js') {
        // Normalised by the client or refused; never a file outside static/.
        assert.ok(res.statusCode === 404 || res.body === String(files.get('/ui/app.js')!.body), url);
      } else {
        assert.equal(res.statusCode, 404, url);
      }
    }
  });

  it('GET /ui/config.json: the public settings the page needs, nothing secret', async () => {
    const res = await s.app.inject({ method: 'GET', url: UI_JSON_PATHS.config });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(body(res), {
      issuer: s.auth.options.issuer,
      audience: s.auth.options.audience,
      clientId: 'tessera',
      jwtAlgorithm: 'EdDSA',
      accessTokenTtlSeconds: 900,
      refreshReuseLeewaySeconds: 10,
      sessionIdleTimeoutSeconds: 86400,
      sessionAbsoluteTimeoutSeconds: 2592000,
      clockToleranceSeconds: 5,
      passwordMinLength: 15,
      passwordMaxLength: 1024,
      cookieNames: { session: '__Host-tessera_session', refresh: '__Secure-tessera_refresh' },
      // Whether the lab may offer its benchmark button (no admin keys here), never a key.
      shortBench: { enabled: false, defaultDurationSeconds: 2, maxDurationSeconds: 5 },
    });
    assert.equal((await s.app.inject({ method: 'DELETE', url: UI_JSON_PATHS.config })).statusCode, 405);
  });

  it('GET /ui/bench-results.json: the file of TESSERA_BENCH_RESULTS (else bench/results.json), 404 not_found when absent or unreadable', async () => {
    delete process.env.TESSERA_BENCH_RESULTS;
    assert.match(benchResultsPath(), /[/\\]bench[/\\]results\.json$/);
    assert.ok(!benchResultsPath().includes(`packages${'/'}server`), 'at the repository root');

    process.env.TESSERA_BENCH_RESULTS = join(dir, 'absent.json');
    let res = await s.app.inject({ method: 'GET', url: UI_JSON_PATHS.benchResults });
    assert.equal(res.statusCode, 404);
    assert.equal(body(res).error.code, 'not_found');
    assert.match(body(res).error.message, /npm run bench/);

    const results = { generatedAt: '2025-01-01T00:00:00Z', results: [{ name: 'Session cookie', mode: 'session', reqPerSec: 1000, p99Ms: 2 }] };
    writeFileSync(process.env.TESSERA_BENCH_RESULTS, JSON.stringify(results));
    res = await s.app.inject({ method: 'GET', url: UI_JSON_PATHS.benchResults });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(body(res), results);

    writeFileSync(process.env.TESSERA_BENCH_RESULTS, '{ not json');
    res = await s.app.inject({ method: 'GET', url: UI_JSON_PATHS.benchResults });
    assert.equal(res.statusCode, 404);
    assert.ok(!res.body.includes(dir), 'the path is not disclosed');
    assert.equal((await s.app.inject({ method: 'PUT', url: UI_JSON_PATHS.benchResults, payload: {} })).statusCode, 405);
  });
});

// ---------------------------------------------------------------------------------------
// The in-page verifier, under Node's WebCrypto.

/** The parts of the page's plain-JS modules these tests use (they have no type declarations). */
interface Problem { code: string; message: string }
interface Inspection { problems: Problem[]; valid: boolean; signature: string; key: { kid: string; alg: string } | null; expiresInSeconds: number | null }
interface JwtModule {
  inspectToken(token: string, options: Record<string, unknown>): Promise<Inspection>;
  decodeBase64url(text: string): Uint8Array | null;
  topLevelNames(text: string): string[];
}
interface ChartModule { benchRows(data: unknown): { name: string; rps: number; p99: number | null; kind: string }[] }
interface FormatModule {
  formatDuration(ms: number): string;
  formatCountdown(ms: number): string;
  relative(value: number, now: number): string;
  formatBytes(n: number): string;
}
/** Imports a module of static/js by URL (a computed specifier: plain JS, typed above). */
const staticModule = <T>(name: string): Promise<T> => import(new URL(`../static/js/${name}`, import.meta.url).href) as Promise<T>;
let jwt: JwtModule;

const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const NOW = 1_750_000_000;
const ISSUER = 'https://auth.example';

interface TestKey { alg: 'EdDSA' | 'ES256' | 'RS256'; kid: string; privateKey: KeyObject; jwk: Record<string, unknown> }

function makeKey(alg: TestKey['alg']): TestKey {
  const pair = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `key-${alg}`;
  return { alg, kid, privateKey: pair.privateKey, jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

function signWith(key: TestKey, header: Record<string, unknown>, claims: Record<string, unknown> | string): string {
  const input = `${enc(header)}.${enc(claims)}`;
  const data = Buffer.from(input);
  const sig = key.alg === 'EdDSA' ? nodeSign(null, data, key.privateKey)
    : key.alg === 'ES256' ? nodeSign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : nodeSign('sha256', data, key.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}

const goodClaims = () => ({ iss: ISSUER, sub: 'user-1', aud: ISSUER, client_id: 'tessera', sid: 'sess-1', jti: 'jti-1', iat: NOW - 10, exp: NOW + 890 });

describe('the in-page token verifier (static/js/jwt.js)', () => {
  const keys = (['EdDSA', 'ES256', 'RS256'] as const).map(makeKey);
  const ed = keys[0]!;
  const header = (key: TestKey = ed) => ({ alg: key.alg, typ: 'at+jwt', kid: key.kid });
  const options = (extra: Record<string, unknown> = {}) => ({
    findKey: async (kid: string) => keys.find((k) => k.kid === kid)?.jwk,
    issuer: ISSUER, audience: ISSUER, nowSeconds: NOW, clockToleranceSeconds: 5, maxTtlSeconds: 900,
    subtle: globalThis.crypto.subtle, ...extra,
  });
  const codes = async (token: string, extra?: Record<string, unknown>) => (await jwt.inspectToken(token, options(extra))).problems.map((p) => p.code);

  before(async () => {
    jwt = await staticModule<JwtModule>('jwt.js');
  });

  it('accepts a good token for each algorithm (Ed25519, ES256 raw r||s, RS256 PKCS#1 v1.5)', async () => {
    for (const key of keys) {
      const result = await jwt.inspectToken(signWith(key, header(key), goodClaims()), options());
      assert.deepEqual(result.problems, [], key.alg);
      assert.equal(result.valid, true);
      assert.equal(result.signature, 'valid');
      assert.deepEqual(result.key, { kid: key.kid, alg: key.alg });
      assert.equal(result.expiresInSeconds, 890);
    }
  });

  it('refuses what Tessera refuses, with the reason', async () => {
    const good = signWith(ed, header(), goodClaims());
    const [h, p, sig] = good.split('.') as [string, string, string];
    assert.deepEqual(await codes(`${h}.${enc({ ...goodClaims(), sub: 'admin' })}.${sig}`), ['bad_signature']);
    assert.deepEqual(await codes(`${h}.${p}.${Buffer.from(sig, 'base64url').reverse().toString('base64url')}`), ['bad_signature']);
    assert.deepEqual(await codes(`${enc({ alg: 'none', typ: 'at+jwt' })}.${p}.`), ['no_signature', 'alg_none', 'bad_kid']);
    // Algorithm confusion: HS256 "signed" with the public key's bytes.
    assert.deepEqual(await codes(`${enc({ ...header(), alg: 'HS256' })}.${p}.${sig}`), ['alg_mismatch']);
    assert.deepEqual(await codes(signWith(ed, { ...header(), kid: 'nobody' }, goodClaims())), ['unknown_kid']);
    for (const member of ['jwk', 'jku', 'x5u', 'x5c']) {
      assert.deepEqual(await codes(signWith(ed, { ...header(), [member]: member === 'jwk' ? ed.jwk : 'https://attacker.example/' }, goodClaims())), ['embedded_key'], member);
    }
    assert.deepEqual(await codes(signWith(ed, { ...header(), crit: ['exp'] }, goodClaims())), ['crit']);
    assert.deepEqual(await codes(signWith(ed, { ...header(), b64: false }, goodClaims())), ['b64']);
    assert.deepEqual(await codes(signWith(ed, { ...header(), enc: 'A256GCM' }, goodClaims())), ['jwe']);
    assert.deepEqual(await codes(signWith(ed, { ...header(), typ: 'JWT' }, goodClaims())), ['bad_typ']);
    assert.deepEqual(await codes(signWith(ed, { alg: 'EdDSA', kid: ed.kid }, goodClaims())), ['bad_typ']);
    assert.deepEqual(await codes(signWith(ed, { ...header(), typ: 'application/AT+JWT' }, goodClaims())), [], 'media type, case-insensitive');
    // Times, with the 5 s tolerance.
    assert.deepEqual(await codes(signWith(ed, header(), { ...goodClaims(), iat: NOW - 900, exp: NOW - 6 })), ['expired']);
    assert.deepEqual(await codes(signWith(ed, header(), { ...goodClaims(), iat: NOW - 900, exp: NOW - 4 })), [], 'within tolerance');
    assert.deepEqual(await codes(signWith(ed, header(), { ...goodClaims(), nbf: NOW + 60 })), ['not_yet_valid']);
    assert.deepEqual(await codes(signWith(ed, header(), { ...goodClaims(), iat: NOW + 60, exp: NOW + 600 })), ['issued_in_future']);
    assert.deepEqual(await codes(signWith(ed, header(), { ...goodClaims(), exp: NOW + 891 })), ['ttl_too_long']);
    assert.deepEqual(await codes(signWith(ed, header(), { ...goodClaims(), exp: NOW - 10 })), ['bad_claim', 'expired']);
    assert.deepEqual(await codes(signWith(ed, header(), { ...goodClaims(), iss: 'https://evil.example' })), ['bad_iss']);
    assert.deepEqual(await codes(signWith(ed, header(), { ...goodClaims(), aud: ['other'] })), ['bad_aud']);
    assert.deepEqual(await codes(signWith(ed, header(), { ...goodClaims(), aud: ['other', ISSUER] })), []);
    const { sid: _sid, ...noSid } = goodClaims();
    assert.deepEqual(await codes(signWith(ed, header(), noSid)), ['bad_claim']);
    assert.deepEqual(await codes(signWith(ed, header(), { ...goodClaims(), exp: NOW + 100.5 })), ['bad_claim']);
    // Duplicate and prototype-polluting members, in header or claims.
    const claimsText = JSON.stringify(goodClaims());
    assert.deepEqual(await codes(signWith(ed, header(), `{"sub":"admin",${claimsText.slice(1)}`)), ['duplicate_member']);
    assert.deepEqual(await codes(signWith(ed, header(), `{"\\u0073ub":"admin",${claimsText.slice(1)}`)), ['duplicate_member'], 'escaped names compare unescaped');
    assert.deepEqual(await codes(signWith(ed, header(), `{"__proto__":{},${claimsText.slice(1)}`)), ['forbidden_member']);
    assert.deepEqual(await codes(signWith(ed, header(), `{"nested":{"sub":1,"sub":2},${claimsText.slice(1)}`)), [], 'only the top level is scanned, like Tessera');
    // Structure.
    assert.deepEqual(await codes(`${h}.${p}`), ['malformed']);
    assert.deepEqual(await codes(`${h}.${p}.${sig}.x.y`), ['malformed']);
    assert.match((await jwt.inspectToken(`${h}.${p}.${sig}.x.y`, options())).problems[0]!.message, /JWE/);
    assert.deepEqual(await codes(`${h}.${p}.${sig}=`), ['bad_base64url']);
    assert.deepEqual(await codes(`${h}.${p.replace(/-/g, '+')}x.${sig}`), ['bad_base64url']);
    assert.deepEqual(await codes(`${h}.${p}.${'A'.repeat(8192)}`), ['too_large']);
    assert.deepEqual(await codes(`${enc('[1]')}.${p}.${sig}`), ['not_an_object']);
    assert.deepEqual(await codes(`${enc('{bad')}.${p}.${sig}`), ['bad_json']);
    assert.deepEqual(await codes('   '), ['empty']);
  });

  it('strict base64url: no padding, no other alphabet, no non-canonical trailing bits', () => {
    assert.deepEqual([...jwt.decodeBase64url('AQID')!], [1, 2, 3]);
    assert.deepEqual([...jwt.decodeBase64url('_-8')!], [255, 239]);
    for (const bad of ['AQ==', 'A', 'AR', '+/8', 'AQ I']) assert.equal(jwt.decodeBase64url(bad), null, bad);
    assert.deepEqual(jwt.topLevelNames('{ "a" : {"b":[1,"}"]}, "c\\"d": "x" , "e":null}'), ['a', 'c"d', 'e']);
  });

  it('verifies real Tessera access tokens of each algorithm against the server\'s JWKS', async () => {
    for (const alg of ['EdDSA', 'ES256', 'RS256']) {
      const s = await startTestServer({ env: { TESSERA_JWT_ALG: alg } });
      try {
        const { body: login } = await signUpAndIn(s, 'jwt');
        const jwks = body<{ keys: Record<string, unknown>[] }>(await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }));
        const opts = {
          findKey: async (kid: string) => jwks.keys.find((k) => k.kid === kid),
          issuer: s.auth.options.issuer, audience: s.auth.options.audience, nowSeconds: Math.floor(Date.now() / 1000),
          clockToleranceSeconds: 5, maxTtlSeconds: 900, subtle: globalThis.crypto.subtle,
        };
        const result = await jwt.inspectToken(login.accessToken as string, opts);
        assert.deepEqual(result.problems, [], alg);
        assert.equal(result.valid, true, alg);
        const [h, p, sig] = (login.accessToken as string).split('.');
        const tampered = `${h}.${enc({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'x' })}.${sig}`;
        assert.deepEqual((await jwt.inspectToken(tampered, opts)).problems.map((x) => x.code), ['bad_signature'], alg);
      } finally {
        await s.dispose();
      }
    }
  });
});

describe('formatting and the benchmark reader', () => {
  let chart: ChartModule;
  let format: FormatModule;
  before(async () => {
    chart = await staticModule<ChartModule>('chart.js');
    format = await staticModule<FormatModule>('format.js');
  });

  it('durations and countdowns in words', () => {
    assert.equal(format.formatDuration(0), '0 s');
    assert.equal(format.formatDuration(899_000), '14 min 59 s');
    assert.equal(format.formatDuration(86_400_000), '1 day');
    assert.equal(format.formatDuration(2_592_000_000), '30 days');
    assert.equal(format.formatCountdown(86_399_000), '23 h 59 min 59 s');
    assert.equal(format.formatCountdown(2_591_999_000), '29 days 23 h 59 min');
    assert.equal(format.relative(1_700_000_010_000, 1_700_000_005_000), 'in 5 s');
    assert.equal(format.relative(1_700_000_005_000, 1_700_000_065_000), '1 min ago');
    assert.equal(format.relative(1_700_000_010, 1_700_000_005_000), 'in 5 s', 'epoch seconds too');
    assert.equal(format.formatBytes(1234), '1,234 bytes');
  });

  it('reads the benchmark rows whatever the exact shape', () => {
    assert.deepEqual(chart.benchRows({ results: [{ name: 'Session', mode: 'session', reqPerSec: 10, p99Ms: 2 }, { name: 'JWT', reqPerSec: '20', latency: { p99: 3 } }, { name: 'no numbers' }] }), [
      { name: 'Session', rps: 10, p99: 2, kind: 'session' },
      { name: 'JWT', rps: 20, p99: 3, kind: 'jwt' },
    ]);
    assert.deepEqual(chart.benchRows([{ mode: 'jwt', store: 'sqlite', rps: 5 }]), [{ name: 'JWT (Bearer access token), sqlite', rps: 5, p99: null, kind: 'jwt' }]);
    // The answer of POST /admin/bench (as `tessera bench --json`): rows named by their mode.
    assert.deepEqual(chart.benchRows({ run: 'short', results: [{ mode: 'session', requestsPerSecond: 900, p99Ms: 0 }, { mode: 'jwt', requestsPerSecond: 1000, p99Ms: 1 }] }), [
      { name: 'Session cookie', rps: 900, p99: 0, kind: 'session' },
      { name: 'JWT (Bearer access token)', rps: 1000, p99: 1, kind: 'jwt' },
    ]);
    // bench/results.json of `npm run bench`: its `lab` summary.
    assert.deepEqual(chart.benchRows({ http: { scenarios: [] }, lab: { bare: { reqPerSec: 40, p99Ms: 2 }, modes: { session: { reqPerSec: 15, p99Ms: 11 }, jwt: { reqPerSec: 16, p99Ms: 7 }, jwtNeverSeen: { reqPerSec: 4, p99Ms: 30 } } } }), [
      { name: 'Bare Fastify (no auth)', rps: 40, p99: 2, kind: 'other' },
      { name: 'Session cookie (SQLite)', rps: 15, p99: 11, kind: 'session' },
      { name: 'JWT, token seen before', rps: 16, p99: 7, kind: 'jwt' },
      { name: 'JWT, token never seen before', rps: 4, p99: 30, kind: 'jwt' },
    ]);
    assert.deepEqual(chart.benchRows({ rows: [{ label: 'bare fastify', requestsPerSecond: 7, p99: 1 }] }), [{ name: 'bare fastify', rps: 7, p99: 1, kind: 'other' }]);
    assert.deepEqual(chart.benchRows(null), []);
    assert.deepEqual(chart.benchRows({ results: 'nope' }), []);
  });
});


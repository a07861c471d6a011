/**
 * Attack suite, passwords and sign-in throttling, black-box over HTTP:
 * - account enumeration: hundreds of alternating sign-ins with an unknown email and with a
 *   wrong password for a real account, on the REAL argon2 parameters: same status, same
 *   body, same headers, and the same time within noise (medians compared);
 * - no truncation (80-byte passwords that differ only in their last byte), NFKC, the blocklist;
 * - lockout abuse: what an attacker who knows an email can do to its owner, and for how long;
 * - the per-account limit across many source addresses, and X-Forwarded-For spoofing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { assertRefusal, AttemptLog, body, GOOD_PASSWORD, median, SESSION_COOKIE, startTestServer, uniqueEmail } from './helpers.js';
import type { TestServer } from './helpers.js';

/** Attempts of each kind in the enumeration timing test (≥ 200 in all). */
const ENUMERATION_ATTEMPTS_PER_KIND = 120;
/** The largest accepted gap between the two medians, as a share of the wrong-password median. */
const ENUMERATION_TOLERANCE = 0.25;
const DAY = 86_400;

/** A key of the admin API (at least 32 base64url characters). */
const ADMIN_KEY = 'security-test-admin-key-0123456789abcdefABCDEF';

async function register(s: TestServer, email: string, password = GOOD_PASSWORD): Promise<LightMyRequestResponse> {
  return s.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password } });
}

async function login(s: TestServer, email: string, password: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password }, headers });
}

/** The headers two answers must share to be indistinguishable (everything but the date). */
function comparableHeaders(res: LightMyRequestResponse): Record<string, unknown> {
  const { date: _date, ...rest } = res.headers;
  return rest;
}

describe('account enumeration (real argon2 parameters)', () => {
  let s: TestServer;
  const attempts = new AttemptLog();
  before(async () => {
    // The per account+IP window would stop the test long before it has enough samples.
    s = await startTestServer({ realHasher: true, env: { TESSERA_LOGIN_MAX_FAILURES: '1000000' } });
  });
  after(async () => {
    const log = s.logText();
    await s.dispose();
    attempts.assertAbsent(log);
  });

  it('the running server stores argon2id hashes at the OWASP parameters (19 MiB, 2 passes, 1 lane), salted per account', async () => {
    const emails = [uniqueEmail('params'), uniqueEmail('params')];
    for (const email of emails) assert.equal((await register(s, email)).statusCode, 201);
    const db = new BetterSqlite3(join(s.dataDir, 'tessera.db'), { readonly: true });
    try {
      const read = db.prepare<[string], { password_hash: string }>('SELECT password_hash FROM users WHERE email_normalized = ?');
      const hashes = emails.map((email) => read.get(email.toLowerCase())!.password_hash);
      for (const hash of hashes) assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
      assert.notEqual(hashes[0], hashes[1], 'the same password, two salts');
    } finally {
      db.close();
    }
  });

  it(`${2 * ENUMERATION_ATTEMPTS_PER_KIND} alternating attempts: unknown email and wrong password get the same status, body, headers and time`, async (t) => {
    // Several real accounts so that none reaches the 100-consecutive-failure lock.
    const accounts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const email = uniqueEmail('enum');
      assert.equal((await register(s, email)).statusCode, 201);
      accounts.push(email);
    }
    const wrong = 'a wrong password for enumeration';
    attempts.add('wrong password', wrong);
    // Warm-up: argon2's first calls, the dummy hash of the unknown path, JIT.
    for (let i = 0; i < 8; i++) {
      await login(s, uniqueEmail('warm'), wrong);
      await login(s, accounts[i % 4]!, wrong);
    }
    const times = { unknown: [] as number[], wrong: [] as number[] };
    let reference: { status: number; body: string; headers: Record<string, unknown> } | undefined;
    for (let i = 0; i < 2 * ENUMERATION_ATTEMPTS_PER_KIND; i++) {
      const unknown = i % 2 === 0;
      const email = unknown ? uniqueEmail('nobody') : accounts[(i >> 1) % accounts.length]!;
      const started = performance.now();
      const res = await login(s, email, wrong);
      const ms = performance.now() - started;
      (unknown ? times.unknown : times.wrong).push(ms);
      assertRefusal(res, 401, 'invalid_credentials', `${unknown ? 'unknown email' : 'wrong password'} #${i}`);
      const seen = { status: res.statusCode, body: res.body, headers: comparableHeaders(res) };
      if (reference === undefined) reference = seen;
      assert.deepEqual(seen, reference, `attempt ${i} (${unknown ? 'unknown email' : 'wrong password'}) differs from attempt 0`);
    }
    const mUnknown = median(times.unknown);
    const mWrong = median(times.wrong);
    const gap = Math.abs(mUnknown - mWrong) / mWrong;
    const report = `enumeration timing over ${times.unknown.length}+${times.wrong.length} attempts: median unknown email ${mUnknown.toFixed(2)} ms, median wrong password ${mWrong.toFixed(2)} ms, gap ${(gap * 100).toFixed(1)}% (limit ${ENUMERATION_TOLERANCE * 100}%)`;
    t.diagnostic(report);
    console.log(report);
    assert.ok(mWrong > 5, `argon2 at OWASP parameters takes more than 5 ms (median ${mWrong.toFixed(2)} ms): is the real hasher in use?`);
    assert.ok(gap < ENUMERATION_TOLERANCE, report);
  });

  it('a throttled unknown email and a throttled real account get the same 429 and Retry-After', async () => {
    const low = await startTestServer({ env: { TESSERA_LOGIN_MAX_FAILURES: '3' } });
    try {
      const real = uniqueEmail('real');
      assert.equal((await register(low, real)).statusCode, 201);
      const ghost = uniqueEmail('ghost');
      const answers: LightMyRequestResponse[] = [];
      for (const email of [real, ghost]) {
        for (let i = 0; i < 3; i++) assertRefusal(await login(low, email, 'not the password at all'), 401, 'invalid_credentials', `${email} #${i}`);
        const res = await login(low, email, 'not the password at all');
        assertRefusal(res, 429, 'rate_limited', `${email} throttled`);
        answers.push(res);
      }
      assert.deepEqual(comparableHeaders(answers[0]!), comparableHeaders(answers[1]!));
      assert.equal(answers[0]!.body, answers[1]!.body);
    } finally {
      await low.dispose();
    }
  });
});

describe('passwords are whole, normalised, and not common', () => {
  let s: TestServer;
  const attempts = new AttemptLog();
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    const log = s.logText();
    await s.dispose();
    attempts.assertAbsent(log);
  });

  it('never truncated: 80-byte passwords differing only in their last byte (ASCII, UTF-8, and past bcrypt\'s 72) are different passwords', async () => {
    const pairs: [string, string][] = [
      [`${'a'.repeat(79)}b`, `${'a'.repeat(79)}c`],
      [`${'é'.repeat(39)}xy`, `${'é'.repeat(39)}xz`],
      [`${'long passphrase '.repeat(5)}`.slice(0, 73) + 'X'.repeat(7), `${'long passphrase '.repeat(5)}`.slice(0, 73) + 'X'.repeat(6) + 'Y'],
      [`${'ü'.repeat(100)}1`, `${'ü'.repeat(100)}2`],
    ];
    for (const [right, wrong] of pairs) {
      assert.ok(Buffer.byteLength(right) >= 80 && Buffer.byteLength(right) === Buffer.byteLength(wrong));
      assert.equal(right.slice(0, -1), wrong.slice(0, -1));
      attempts.add('right', right);
      attempts.add('wrong', wrong);
      const email = uniqueEmail('trunc');
      assert.equal((await register(s, email, right)).statusCode, 201);
      assertRefusal(await login(s, email, wrong), 401, 'invalid_credentials', `${Buffer.byteLength(right)}-byte password, last byte changed`);
      assert.equal((await login(s, email, right)).statusCode, 200);
    }
  });

  it('over the maximum (1024 code points) is refused, not cut: 400 weak_password', async () => {
    assertRefusal(await register(s, uniqueEmail('max'), 'x'.repeat(1025)), 400, 'weak_password', '1025 characters');
    assert.equal((await register(s, uniqueEmail('max'), 'y'.repeat(1024))).statusCode, 201);
  });

  it('NFKC: composed and decomposed accents, full-width letters and digits, and ligatures sign in as the same password', async () => {
    const cases: [string, string, string][] = [
      ['composed é, decomposed at sign-in', 'caf\u00e9 cr\u00e8me br\u00fbl\u00e9e forever', 'cafe\u0301 cre\u0300me bru\u0302le\u0301e forever'],
      ['decomposed at sign-up, composed at sign-in', 'nai\u0308ve pin\u0303ata evening', 'na\u00efve pi\u00f1ata evening'],
      ['full-width at sign-up, ASCII at sign-in', '\uff33\uff45\uff43\uff52\uff45\uff54 \uff50\uff48\uff52\uff41\uff53\uff45 \uff11\uff12\uff13', 'Secret phrase 123'],
      ['ligature at sign-up, letters at sign-in', 'the \ufb01nal o\ufb03ce \ufb02oor plan', 'the final office floor plan'],
    ];
    for (const [name, atSignUp, atSignIn] of cases) {
      assert.notEqual(atSignUp, atSignIn);
      const email = uniqueEmail('nfkc');
      attempts.add(name, atSignUp);
      attempts.add(name, atSignIn);
      assert.equal((await register(s, email, atSignUp)).statusCode, 201, name);
      const res = await login(s, email, atSignIn);
      assert.equal(res.statusCode, 200, `${name}: ${res.body}`);
      attempts.add('cookie', res.cookies.find((c) => c.name === SESSION_COOKIE)?.value);
    }
  });

  it('the blocklist: common passwords of 15+ characters, in any case, and the email itself, are 400 weak_password', async () => {
    for (const common of ['123456789987654321', '1qaz2wsx3edc4rfv', 'QWERTY123456789', 'Qazwsxedcrfvtgb', '12345678900987654321']) {
      assertRefusal(await register(s, uniqueEmail('common'), common), 400, 'weak_password', common);
    }
    const email = uniqueEmail('selfish.person.long');
    assertRefusal(await register(s, email, email), 400, 'weak_password', 'the email as the password');
    assertRefusal(await register(s, email, email.toUpperCase()), 400, 'weak_password', 'the email, upper-cased');
    assertRefusal(await register(s, uniqueEmail('short'), 'fourteen chars'), 400, 'weak_password', '14 characters');
  });

  it('the blocklist applies to a password change as well', async () => {
    const email = uniqueEmail('change');
    assert.equal((await register(s, email)).statusCode, 201);
    const res = await login(s, email, GOOD_PASSWORD);
    const cookie = `${SESSION_COOKIE}=${res.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`;
    attempts.add('cookie', cookie);
    const change = await s.app.inject({ method: 'POST', url: '/auth/password', headers: { cookie }, payload: { currentPassword: GOOD_PASSWORD, newPassword: '1qaz2wsx3edc4rfv' } });
    assertRefusal(change, 400, 'weak_password', 'a common new password');
    assert.equal((await login(s, email, GOOD_PASSWORD)).statusCode, 200, 'the password did not change');
  });

  it('with TESSERA_PASSWORD_MIN_LENGTH=8, the short classics are blocked too', async () => {
    const low = await startTestServer({ env: { TESSERA_PASSWORD_MIN_LENGTH: '8' } });
    try {
      for (const common of ['password', 'Password', 'PASSWORD1', 'iloveyou', '12345678', 'qwertyuiop', 'trustno1']) {
        assertRefusal(await register(low, uniqueEmail('c8'), common), 400, 'weak_password', common);
      }
      assert.equal((await register(low, uniqueEmail('c8'), 'k7#Lm2$q')).statusCode, 201, 'an uncommon 8-character password passes');
    } finally {
      await low.dispose();
    }
  });
});

describe('lockout abuse and source addresses (TESSERA_TRUST_PROXY=1, X-Forwarded-For)', () => {
  let s: TestServer;
  const attempts = new AttemptLog();
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  before(async () => {
    s = await startTestServer({ manualClock: true, env: { TESSERA_TRUST_PROXY: '1', TESSERA_ADMIN_KEYS: ADMIN_KEY } });
  });
  after(async () => {
    const log = s.logText();
    await s.dispose();
    attempts.assertAbsent(log);
  });

  it('per account + IP: an attacker\'s 10 failures throttle only the attacker\'s address, for at most 15 minutes', async () => {
    const email = uniqueEmail('victim-ip');
    assert.equal((await register(s, email)).statusCode, 201);
    for (let i = 0; i < 10; i++) assertRefusal(await login(s, email, 'guess number one two', from('198.51.100.66')), 401, 'invalid_credentials', `guess ${i}`);
    const throttled = await login(s, email, GOOD_PASSWORD, from('198.51.100.66'));
    assertRefusal(throttled, 429, 'rate_limited', 'the attacker\'s address');
    const retryAfter = Number(throttled.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 900, `Retry-After ${retryAfter}`);
    const victim = await login(s, email, GOOD_PASSWORD, from('203.0.113.10'));
    assert.equal(victim.statusCode, 200, 'the owner, from another address, is not affected');
    attempts.add('cookie', victim.cookies.find((c) => c.name === SESSION_COOKIE)?.value);
    s.clock!.advanceSeconds(900);
    const later = await login(s, email, GOOD_PASSWORD, from('198.51.100.66'));
    assert.equal(later.statusCode, 200, 'after 15 minutes the window is empty again');
    attempts.add('cookie', later.cookies.find((c) => c.name === SESSION_COOKIE)?.value);
  });

  it('per account, across many addresses: 100 failures from 100 addresses lock password sign-in everywhere until an administrator (or a password reset) ends it; existing sessions keep working meanwhile', async (t) => {
    const email = uniqueEmail('victim-account');
    const registered = await register(s, email);
    assert.equal(registered.statusCode, 201);
    const userId = body(registered).user.id as string;
    const before = await login(s, email, GOOD_PASSWORD, from('203.0.113.10'));
    const cookie = `${SESSION_COOKIE}=${before.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`;
    attempts.add('cookie', cookie);
    for (let i = 0; i < 100; i++) {
      assertRefusal(await login(s, email, `distributed guess ${i} xx`, from(`192.0.2.${i + 1}`)), 401, 'invalid_credentials', `guess ${i} from 192.0.2.${i + 1}`);
    }
    const fresh = await login(s, email, GOOD_PASSWORD, from('198.18.0.1'));
    assertRefusal(fresh, 429, 'rate_limited', 'the right password from a never-seen address');
    assert.equal(fresh.headers['retry-after'], '3600');
    assertRefusal(await login(s, email, GOOD_PASSWORD, from('203.0.113.10')), 429, 'rate_limited', 'the owner\'s own address');
    assert.equal((await s.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie } })).statusCode, 200, 'an existing session is not ended by the lock');
    // While locked, further guesses are not even counted (nor checked): the lock cannot be deepened.
    for (let i = 0; i < 20; i++) assertRefusal(await login(s, email, `more guesses ${i} xx`, from(`192.0.2.${200 + i}`)), 429, 'rate_limited', `guess while locked ${i}`);
    // The spec: the lock waits for a password reset or an administrator. It does not lift
    // when the failures that made it leave their 30 days.
    s.clock!.advanceSeconds(30 * DAY + 1);
    assertRefusal(await login(s, email, GOOD_PASSWORD, from('203.0.113.10')), 429, 'rate_limited', 'after 30 days');
    s.clock!.advanceSeconds(365 * DAY);
    assertRefusal(await login(s, email, GOOD_PASSWORD, from('203.0.113.10')), 429, 'rate_limited', 'a year later');
    const enabled = await s.app.inject({ method: 'POST', url: `/admin/users/${userId}/enable`, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(enabled.statusCode, 204, enabled.body);
    const unlocked = await login(s, email, GOOD_PASSWORD, from('203.0.113.10'));
    assert.equal(unlocked.statusCode, 200, `the administrator ended the lock: ${unlocked.body}`);
    attempts.add('cookie', unlocked.cookies.find((c) => c.name === SESSION_COOKIE)?.value);
    t.diagnostic('account lock: 100 failures from 100 addresses lock password sign-in (429, Retry-After 3600) until an administrator (POST /admin/users/:id/enable) or a password reset ends it; still locked a year later; sessions stay valid');
  });

  it('guesses at an email nobody has registered do not lock the account registered with it later', async () => {
    const email = uniqueEmail('pre-locked');
    for (let i = 0; i < 100; i++) assertRefusal(await login(s, email, `guess at nobody ${i} xx`, from(`192.0.2.${i + 1}`)), 401, 'invalid_credentials', `guess ${i}`);
    assertRefusal(await login(s, email, GOOD_PASSWORD, from('203.0.113.10')), 429, 'rate_limited', 'the unknown email is locked like a known one');
    assert.equal((await register(s, email)).statusCode, 201);
    const first = await login(s, email, GOOD_PASSWORD, from('203.0.113.10'));
    assert.equal(first.statusCode, 200, `the new account starts unlocked: ${first.body}`);
    attempts.add('cookie', first.cookies.find((c) => c.name === SESSION_COOKIE)?.value);
  });

  it('a success before the 100th failure starts the count again (consecutive failures only)', async () => {
    const email = uniqueEmail('victim-reset');
    assert.equal((await register(s, email)).statusCode, 201);
    for (let i = 0; i < 99; i++) await login(s, email, `guess ${i} again xxx`, from(`192.0.2.${i + 1}`));
    const ok = await login(s, email, GOOD_PASSWORD, from('203.0.113.10'));
    assert.equal(ok.statusCode, 200);
    attempts.add('cookie', ok.cookies.find((c) => c.name === SESSION_COOKIE)?.value);
    for (let i = 0; i < 99; i++) await login(s, email, `guess ${i} again yyy`, from(`192.0.2.${i + 1}`));
    const still = await login(s, email, GOOD_PASSWORD, from('203.0.113.10'));
    assert.equal(still.statusCode, 200, 'the earlier 99 no longer count');
    attempts.add('cookie', still.cookies.find((c) => c.name === SESSION_COOKIE)?.value);
  });

  it('spoofed entries left of the trusted hop do not give an attacker new addresses', async () => {
    const email = uniqueEmail('victim-spoof');
    assert.equal((await register(s, email)).statusCode, 201);
    for (let i = 0; i < 10; i++) {
      assertRefusal(await login(s, email, 'spoofing guesser pw', from(`10.0.0.${i}, 198.51.100.7`)), 401, 'invalid_credentials', `spoofed ${i}`);
    }
    assertRefusal(await login(s, email, 'spoofing guesser pw', from('10.9.9.9, 198.51.100.7')), 429, 'rate_limited', 'a new spoofed entry, same real address');
    const sessions = await login(s, email, GOOD_PASSWORD, from('10.1.1.1, 203.0.113.99'));
    assert.equal(sessions.statusCode, 200);
    const cookie = `${SESSION_COOKIE}=${sessions.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`;
    attempts.add('cookie', cookie);
    const list = await s.app.inject({ method: 'GET', url: '/auth/sessions', headers: { cookie } });
    assert.equal(body(list).sessions[0].ip, '203.0.113.99', 'the address the trusted proxy wrote, not the client\'s claim');
  });
});

describe('X-Forwarded-For is ignored by default', () => {
  let s: TestServer;
  const attempts = new AttemptLog();
  before(async () => {
    s = await startTestServer({ manualClock: true });
  });
  after(async () => {
    const log = s.logText();
    await s.dispose();
    attempts.assertAbsent(log);
  });

  it('rotating X-Forwarded-For, X-Real-IP, Forwarded and True-Client-IP does not escape the per-IP limit, nor change the recorded address', async () => {
    const email = uniqueEmail('xff');
    assert.equal((await register(s, email)).statusCode, 201);
    for (let i = 0; i < 10; i++) {
      const headers = { 'x-forwarded-for': `203.0.113.${i}`, 'x-real-ip': `198.51.100.${i}`, forwarded: `for=192.0.2.${i}`, 'true-client-ip': `192.0.2.${i}`, 'cf-connecting-ip': `192.0.2.${i}` };
      assertRefusal(await login(s, email, 'xff guesser password', headers), 401, 'invalid_credentials', `attempt ${i}`);
    }
    assertRefusal(await login(s, email, GOOD_PASSWORD, { 'x-forwarded-for': '203.0.113.200' }), 429, 'rate_limited', 'the 11th, from a "new" address');
    s.clock!.advanceSeconds(900);
    const ok = await login(s, email, GOOD_PASSWORD, { 'x-forwarded-for': '203.0.113.201' });
    assert.equal(ok.statusCode, 200);
    const cookie = `${SESSION_COOKIE}=${ok.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`;
    attempts.add('cookie', cookie);
    const list = await s.app.inject({ method: 'GET', url: '/auth/sessions', headers: { cookie } });
    assert.equal(body(list).sessions[0].ip, '127.0.0.1', 'the socket address, not the header');
  });
});

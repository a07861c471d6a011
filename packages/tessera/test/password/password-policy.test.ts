import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD_MAX_LENGTH_DEFAULT,
  checkPasswordPolicy,
  describePasswordPolicy,
  normalizePassword,
} from '../../src/password/password-policy.js';
import { isCommonPassword } from '../../src/password/password-blocklist.js';
import { TesseraError } from '../../src/errors.js';

const MIN = { minLength: 15 };
const PHRASE = 'violet tractor mends the quiet harbour at dawn ';

/** Asserts a weak_password refusal whose message matches `pattern` and never echoes `password`. */
function assertWeak(password: string, options: Parameters<typeof checkPasswordPolicy>[1], pattern: RegExp): void {
  assert.throws(
    () => checkPasswordPolicy(password, options),
    (error: unknown) => {
      assert.ok(error instanceof TesseraError);
      assert.equal(error.code, 'weak_password');
      assert.equal(error.status, 400);
      assert.match(error.message, pattern);
      if (password.length >= 10) assert.ok(!error.message.includes(password), 'message echoes the input');
      return true;
    },
  );
}

test('NFKC: ligatures, full-width forms and decomposed accents normalise', () => {
  assert.equal(normalizePassword('\uFB01'), 'fi'); // 'ﬁ' ligature
  assert.equal(normalizePassword('\uFF11\uFF12\uFF13'), '123'); // full-width digits
  assert.equal(normalizePassword('cafe\u0301'), 'caf\u00E9');
  assert.equal(normalizePassword('caf\u00E9'), 'caf\u00E9');
});

test('the policy returns the normalised password, the form to hash', () => {
  assert.equal(checkPasswordPolicy(`\uFB01${PHRASE}`, MIN), `fi${PHRASE}`);
});

test('length is counted in code points, after normalisation', () => {
  const emoji = '\u{1F600}'; // two UTF-16 units, one code point
  assert.equal(checkPasswordPolicy(emoji.repeat(15), MIN), emoji.repeat(15));
  assertWeak(emoji.repeat(14), MIN, /at least 15 characters/);
  // 14 decomposed "é" (28 code points raw) become 14 after NFKC: too short.
  assertWeak('e\u0301'.repeat(14), MIN, /at least 15 characters/);
});

test('minimum length: 14 characters refused, 15 accepted', () => {
  assertWeak('zebra-lamp-fog', MIN, /at least 15 characters/);
  assert.equal(checkPasswordPolicy('zebra-lamp-fogs', MIN), 'zebra-lamp-fogs');
});

test('long passwords: 64 and 1000 characters accepted, over the maximum refused, never truncated', () => {
  const long = PHRASE.repeat(30);
  assert.equal(checkPasswordPolicy(long.slice(0, 64), MIN).length, 64);
  assert.equal(checkPasswordPolicy(long.slice(0, 1000), MIN).length, 1000);
  assert.equal(PASSWORD_MAX_LENGTH_DEFAULT, 1024);
  assert.equal(checkPasswordPolicy(long.slice(0, 1024), MIN).length, 1024);
  assertWeak(long.slice(0, 1025), MIN, /at most 1024 characters/);
  assertWeak(long.slice(0, 101), { minLength: 15, maxLength: 100 }, /at most 100 characters/);
});

test('common passwords are refused in any case, and after normalisation', () => {
  for (const entry of ['123456789987654321', 'passwordpassword', 'qazwsxedcrfvtgb', '1qaz2wsx3edc4rfv']) {
    assert.ok(isCommonPassword(entry), `${entry} is in the list`);
  }
  assertWeak('123456789987654321', MIN, /too common/);
  assertWeak('PasswordPassword', MIN, /too common/);
  assertWeak('QAZWSXEDCRFVTGB', MIN, /too common/);
  assertWeak('1QaZ2wSx3EdC4rFv', MIN, /too common/);
  // Full-width digits normalise to a listed entry.
  assertWeak('\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17\uFF18\uFF19\uFF19\uFF18\uFF17\uFF16\uFF15\uFF14\uFF13\uFF12\uFF11', MIN, /too common/);
  // Whole-password comparison only: a listed entry inside a longer passphrase is fine.
  assert.ok(checkPasswordPolicy(`password ${PHRASE}`, MIN));
});

test('a short common password fails for the right reason', () => {
  assertWeak('password', { minLength: 8 }, /too common/);
  assertWeak('Password', { minLength: 8 }, /too common/);
  assertWeak('password', MIN, /at least 15 characters/);
});

test('the email and its local part are refused, ignoring case', () => {
  const email = 'Alice.Liddell-1865@Example.com';
  assertWeak('alice.liddell-1865@example.com', { minLength: 15, email }, /email/);
  assertWeak('ALICE.LIDDELL-1865', { minLength: 15, email }, /email/);
  assertWeak('alice.liddell-1865', { minLength: 8, email: '  alice.liddell-1865@example.com ' }, /email/);
  assert.ok(checkPasswordPolicy('alice.liddell-1865!', { minLength: 15, email }));
  assert.ok(checkPasswordPolicy('alice.liddell-1865', { minLength: 15 }), 'no email given');
});

test('no composition rules: lower-case letters and spaces only are fine', () => {
  assert.ok(checkPasswordPolicy('correct horse battery staple', MIN));
  assert.ok(checkPasswordPolicy('пароль-из-русских-слов', MIN));
});

test('lone surrogates are refused', () => {
  assertWeak(`${PHRASE}\uD800`, MIN, /invalid character/);
});

test('describePasswordPolicy returns plain data matching the enforcement', () => {
  const described = describePasswordPolicy(MIN);
  assert.equal(described.minLength, 15);
  assert.equal(described.maxLength, 1024);
  assert.ok(described.rules.length >= 3 && described.rules.every((r) => typeof r === 'string'));
  assert.deepEqual(JSON.parse(JSON.stringify(described)), described);
  assert.equal(describePasswordPolicy({ minLength: 8, maxLength: 256 }).maxLength, 256);
});

test('misconfiguration is a RangeError, not weak_password', () => {
  assert.throws(() => checkPasswordPolicy(PHRASE, { minLength: 0 }), RangeError);
  assert.throws(() => checkPasswordPolicy(PHRASE, { minLength: 15, maxLength: 32 }), RangeError);
  assert.throws(() => describePasswordPolicy({ minLength: 100, maxLength: 64 }), RangeError);
});

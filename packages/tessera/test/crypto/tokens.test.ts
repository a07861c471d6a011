import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeBase64url, encodeBase64url, isBase64url } from '../../src/crypto/base64url.js';
import { deriveSuccessorSecret, formatCredential, generateId, generateSecret, hashesEqual, hashSecret, parseCredential } from '../../src/crypto/tokens.js';
import { systemRandom } from '../../src/clock.js';

describe('base64url', () => {
  it('round-trips and refuses padding, the standard alphabet and non-canonical endings', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf]);
    assert.equal(encodeBase64url(bytes), '-_-_');
    assert.deepEqual(decodeBase64url('-_-_'), bytes);
    assert.equal(decodeBase64url('+/+/'), null);
    assert.equal(decodeBase64url('YQ=='), null);
    assert.equal(decodeBase64url('YR'), null, 'non-zero trailing bits: a second spelling of "a"');
    assert.equal(decodeBase64url('Y'), null);
    assert.equal(isBase64url('a.b'), false);
  });
});

describe('base64url, property-based', () => {
  it('decodes every canonical encoding, and refuses every other spelling of the same bytes', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(63), (bytes, i) => {
      const enc = Buffer.from(bytes).toString('base64url');
      assert.deepEqual(decodeBase64url(enc), Buffer.from(bytes));
      if (enc.length % 4 === 0) return;
      const alt = enc.slice(0, -1) + ALPHABET[i];
      const decoded = decodeBase64url(alt);
      // Either refused, or canonical for the bytes it decodes to (never a second spelling).
      if (decoded !== null) assert.equal(decoded.toString('base64url'), alt);
    }), { numRuns: 5000 });
  });
});

describe('credentials', () => {
  it('are a 128-bit id and a 256-bit secret from the CSPRNG, and parse back', () => {
    const id = generateId(systemRandom);
    const secret = generateSecret(systemRandom);
    assert.equal(decodeBase64url(id)!.length, 16);
    assert.equal(decodeBase64url(secret)!.length, 32);
    assert.notEqual(generateSecret(systemRandom), secret);
    assert.deepEqual(parseCredential(formatCredential(id, secret)), { id, secret });
  });
  it('refuses anything that is not exactly id.secret in canonical base64url', () => {
    const id = generateId(systemRandom);
    const secret = generateSecret(systemRandom);
    for (const bad of ['', `${id}.${secret}x`, `${id}:${secret}`, `${id}.${secret.slice(0, -1)}=`, `${secret}.${id}`, `${id}.${secret}`.replace(/[A-Za-z]/, '+'), `${'A'.repeat(22)}.${'A'.repeat(42)}B`, `${'A'.repeat(21)}B.${secret}`]) {
      assert.equal(parseCredential(bad), null, bad);
    }
  });
  it('accepts exactly the credentials whose parts decode to 16 and 32 bytes and encode back unchanged', () => {
    // Differential: parseCredential checks without decoding; decoding and re-encoding is the
    // definition it must agree with, for near-miss strings of the right shape.
    const valid = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
    const char = fc.oneof({ arbitrary: valid, weight: 400 }, { arbitrary: fc.constantFrom(...'+/=. '), weight: 1 });
    // The last character decides canonical form: A, Q, g, w have no bits past a 16-byte id.
    const last = fc.oneof(fc.constantFrom('A', 'Q', 'g', 'w'), fc.constantFrom('B', 'R', 'h', 'x', 'E', '_', '='));
    const part = (n: number) => fc.tuple(fc.array(char, { minLength: n - 1, maxLength: n - 1 }), last).map(([a, l]) => a.join('') + l);
    let accepted = 0;
    fc.assert(fc.property(part(22), fc.constantFrom('.', ':'), part(43), (id, dot, secret) => {
      const credential = `${id}${dot}${secret}`;
      const roundTrips = (text: string, bytes: number) => {
        const decoded = Buffer.from(text, 'base64url');
        return /^[A-Za-z0-9_-]*$/.test(text) && decoded.length === bytes && decoded.toString('base64url') === text;
      };
      const expected = dot === '.' && roundTrips(id, 16) && roundTrips(secret, 32);
      assert.equal(parseCredential(credential) !== null, expected, credential);
      if (expected) accepted++;
    }), { numRuns: 2000 });
    assert.ok(accepted > 100 && accepted < 1900, `both outcomes drawn (${accepted} of 2000 accepted)`);
  });
  it('hash with SHA-256 and compare in constant time', () => {
    assert.equal(hashSecret('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    assert.equal(hashesEqual(hashSecret('a'), hashSecret('a')), true);
    assert.equal(hashesEqual(hashSecret('a'), hashSecret('b')), false);
    assert.equal(hashesEqual('short', hashSecret('a')), false);
    // A difference anywhere counts, the first character or the last.
    const h = hashSecret('a');
    for (const i of [0, 20, h.length - 1]) {
      const other = h.slice(0, i) + (h[i] === 'A' ? 'B' : 'A') + h.slice(i + 1);
      assert.equal(hashesEqual(h, other), false, `differs at ${i}`);
      assert.equal(hashesEqual(other, h), false, `differs at ${i}, reversed`);
    }
    assert.equal(hashesEqual('', ''), true);
  });
  it('derive successors deterministically per key, so only the server can compute them', () => {
    const k1 = Buffer.alloc(32, 1);
    const k2 = Buffer.alloc(32, 2);
    assert.equal(deriveSuccessorSecret(k1, 's'), deriveSuccessorSecret(k1, 's'));
    assert.notEqual(deriveSuccessorSecret(k1, 's'), deriveSuccessorSecret(k2, 's'));
    assert.equal(decodeBase64url(deriveSuccessorSecret(k1, 's'))!.length, 32);
  });
});

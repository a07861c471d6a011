import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isTesseraError } from '../../src/errors.js';
import { parseJsonObject } from '../../src/jwt/json-object.js';
import { KnownHeaders, MAX_COMPACT_JWS_BYTES, parseCompactJws } from '../../src/jwt/jws-compact.js';
import { refusalReason } from '../../src/jwt/refusal.js';
import type { RefusalReason } from '../../src/jwt/refusal.js';
import { b64u } from './attack-tokens.js';

const SIG = b64u(Buffer.alloc(64, 1));
const jws = (header: string, payload = '{"sub":"a"}', signature = SIG): string => `${b64u(header)}.${b64u(payload)}.${signature}`;
const HEADER = '{"alg":"EdDSA","typ":"at+jwt","kid":"k1"}';

function refusedWith(fn: () => unknown, reason: RefusalReason): void {
  assert.throws(fn, (e) => {
    assert.ok(isTesseraError(e, 'unauthorized'), `expected unauthorized, got ${String(e)}`);
    assert.equal(refusalReason(e), reason);
    return true;
  });
}

describe('parseCompactJws', () => {
  it('returns header, payload, the ASCII signing input and the signature bytes', () => {
    const token = jws(HEADER, '{"sub":"alice","n":1}');
    const parsed = parseCompactJws(token);
    assert.deepEqual(parsed.header, { alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' });
    assert.deepEqual(parsed.payload, { sub: 'alice', n: 1 });
    assert.equal(parsed.signingInput.toString('latin1'), token.slice(0, token.lastIndexOf('.')));
    assert.deepEqual(parsed.signature, Buffer.alloc(64, 1));
  });

  it('refuses non-strings', () => {
    for (const input of [undefined, null, 1, {}, [], Buffer.from(jws(HEADER)), new String(jws(HEADER))]) {
      refusedWith(() => parseCompactJws(input), 'not_a_string');
    }
  });

  it('checks the 8 KiB cap before any parsing', () => {
    refusedWith(() => parseCompactJws('a'.repeat(MAX_COMPACT_JWS_BYTES + 1)), 'too_large');
    refusedWith(() => parseCompactJws(jws(HEADER, JSON.stringify({ pad: 'x'.repeat(MAX_COMPACT_JWS_BYTES) }))), 'too_large');
    // Just under the cap is accepted.
    const padded = jws(HEADER, JSON.stringify({ pad: 'x'.repeat(5900) }));
    assert.ok(padded.length > 8000 && padded.length <= MAX_COMPACT_JWS_BYTES);
    assert.equal(parseCompactJws(padded).payload.pad, 'x'.repeat(5900));
  });

  it('requires exactly three parts', () => {
    const [h, p, s] = jws(HEADER).split('.');
    for (const token of [`${h}`, `${h}.${p}`, `${h}.${p}.${s}.`, `${h}.${p}.${s}.${s}`, `${h}..${p}.${s}.${s}`, '', '.', '...']) {
      refusedWith(() => parseCompactJws(token), 'malformed');
    }
  });

  it('requires strict unpadded base64url in every part', () => {
    const [h, p, s] = jws(HEADER).split('.') as [string, string, string];
    for (const token of [`${h}=.${p}.${s}`, `${h}.${p}=.${s}`, `${h}.${p}.${s}==`, `${h}.${p}.${s.slice(0, -1)}+`,
      `${h}.${p}.${s.slice(0, -1)}/`, ` ${h}.${p}.${s}`, `${h}.${p}.${s}\n`, `${h}.${p}.${s.slice(0, -1)}`]) {
      refusedWith(() => parseCompactJws(token), 'bad_base64url');
    }
    refusedWith(() => parseCompactJws(`${h}.${p}.`), 'bad_signature');
  });

  it('requires header and payload to be JSON objects', () => {
    for (const text of ['[]', 'null', '1', '"s"', 'true']) {
      refusedWith(() => parseCompactJws(jws(text)), 'not_an_object');
      refusedWith(() => parseCompactJws(jws(HEADER, text)), 'not_an_object');
    }
    for (const text of ['', '{', '{"a":1,}', `\ufeff${HEADER}`, "{'alg':'EdDSA'}"]) {
      refusedWith(() => parseCompactJws(jws(text)), 'bad_json');
    }
    const badUtf8 = `${b64u(HEADER)}.${b64u(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))}.${SIG}`;
    refusedWith(() => parseCompactJws(badUtf8), 'bad_json');
  });

  it('checks the header members', () => {
    const cases: [Record<string, unknown>, RefusalReason][] = [
      [{ typ: 'at+jwt' }, 'bad_alg'],
      [{ alg: '' }, 'bad_alg'],
      [{ alg: 1 }, 'bad_alg'],
      [{ alg: 'EdDSA', kid: '' }, 'bad_kid'],
      [{ alg: 'EdDSA', kid: 'k'.repeat(257) }, 'bad_kid'],
      [{ alg: 'EdDSA', kid: { $ne: null } }, 'bad_kid'],
      [{ alg: 'EdDSA', kid: 7 }, 'bad_kid'],
      [{ alg: 'EdDSA', crit: [] }, 'crit'],
      [{ alg: 'EdDSA', crit: ['exp'] }, 'crit'],
      [{ alg: 'EdDSA', b64: false }, 'b64'],
      [{ alg: 'EdDSA', zip: 'DEF' }, 'jwe'],
      [{ alg: 'EdDSA', enc: 'A128GCM' }, 'jwe'],
    ];
    for (const member of ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256']) cases.push([{ alg: 'EdDSA', [member]: 'x' }, 'embedded_key']);
    for (const [header, reason] of cases) refusedWith(() => parseCompactJws(jws(JSON.stringify(header))), reason);
    // A kid of exactly 256 characters and unknown plain members are fine.
    assert.equal(parseCompactJws(jws(JSON.stringify({ alg: 'EdDSA', kid: 'k'.repeat(256), cty: 'x' }))).header.kid?.length, 256);
  });

  it('refuses duplicate and prototype-named members in header and payload', () => {
    refusedWith(() => parseCompactJws(jws('{"alg":"EdDSA","alg":"none"}')), 'duplicate_member');
    refusedWith(() => parseCompactJws(jws('{"alg":"EdDSA","\\u0061lg":"none"}')), 'duplicate_member');
    refusedWith(() => parseCompactJws(jws(HEADER, '{"sub":"a","sub":"b"}')), 'duplicate_member');
    refusedWith(() => parseCompactJws(jws(HEADER, '{"__proto__":{"admin":true}}')), 'forbidden_member');
    refusedWith(() => parseCompactJws(jws('{"alg":"EdDSA","__proto__":{}}')), 'forbidden_member');
    refusedWith(() => parseCompactJws(jws(HEADER, '{"constructor":{}}')), 'forbidden_member');
    refusedWith(() => parseCompactJws(jws(HEADER, '{"prototype":1}')), 'forbidden_member');
    refusedWith(() => parseCompactJws(jws(HEADER, '{"__pr\\u006fto__":1}')), 'forbidden_member');
  });
});

describe('KnownHeaders', () => {
  const header = { alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' };
  const text = b64u(JSON.stringify(header));
  const token = `${text}.${b64u('{"sub":"a"}')}.${b64u('sig')}`;

  it('a known header text gives back its frozen checked copy; payload and signature are still parsed and checked', () => {
    const known = new KnownHeaders();
    known.remember(text, parseCompactJws(token).header);
    const parsed = parseCompactJws(token, known);
    assert.deepEqual(parsed.header, header);
    assert.ok(Object.isFrozen(parsed.header));
    assert.deepEqual(parsed.payload, { sub: 'a' });
    assert.throws(() => parseCompactJws(`${text}.${b64u('{"sub":"a","sub":"b"}')}.${b64u('sig')}`, known), (e) => refusalReason(e) === 'duplicate_member');
    assert.throws(() => parseCompactJws(`${text}.${b64u('{}')}.`, known), (e) => refusalReason(e) === 'bad_signature');
    // A different text (even one decoding to the same JSON) is parsed and checked afresh.
    const embedded = b64u(JSON.stringify({ ...header, jwk: {} }));
    assert.throws(() => parseCompactJws(`${embedded}.${b64u('{}')}.${b64u('sig')}`, known), (e) => refusalReason(e) === 'embedded_key');
  });

  it('the header found last is answered by exact text only: a copy hits, any one character changed misses', () => {
    const known = new KnownHeaders();
    const other = b64u(JSON.stringify({ ...header, kid: 'k2' }));
    known.remember(text, Object.freeze({ ...header }));
    known.remember(other, Object.freeze({ ...header, kid: 'k2' }));
    assert.equal(known.get(text)?.kid, 'k1');
    assert.equal(known.get(Buffer.from(text).toString('latin1'))?.kid, 'k1', 'the same text from other bytes');
    for (let i = 0; i < text.length; i++) {
      const changed = `${text.slice(0, i)}${text[i] === 'A' ? 'B' : 'A'}${text.slice(i + 1)}`;
      assert.equal(known.get(changed), undefined, `character ${i} changed`);
    }
    assert.equal(known.get(`${text}A`), undefined);
    assert.equal(known.get(text.slice(0, -1)), undefined);
    assert.equal(known.get(other)?.kid, 'k2', 'another known header takes over');
    assert.equal(known.get(text)?.kid, 'k1');
  });

  it('is bounded: the oldest headers go first (a long-lived ring keeps its newest keys known)', () => {
    const known = new KnownHeaders(2);
    for (let i = 0; i < 5; i++) known.remember(`h${i}`, { alg: 'EdDSA' });
    assert.equal(known.get('h2'), undefined);
    assert.notEqual(known.get('h3'), undefined);
    assert.notEqual(known.get('h4'), undefined);
  });
});

describe('parseJsonObject member scanner', () => {
  const parse = (text: string): unknown => parseJsonObject(Buffer.from(text));

  it('accepts tricky but unique members', () => {
    const texts = [
      '{}',
      ' \t\r\n{ \n} ',
      '{"a":{"a":1,"a":2},"b":[{"a":1},{"a":1}]}',
      '{"a":"\\",\\"a\\":1","b":"}"}',
      '{"a\\"b":1,"a":2,"b":3}',
      '{"x":"\\\\","y":"\\\\\\""}',
      '{"n":-1.5e+10,"t":true,"f":false,"z":null,"s":"","arr":[],"o":{}}',
      '{ "a" : 1 , "b" : [ 1 , { "c" : "]}" } ] , "c" : 2 }',
      '{"\\u00e9":1,"é2":2,"😀":3}',
    ];
    for (const text of texts) assert.deepEqual(parse(text), JSON.parse(text), text);
  });

  it('finds duplicates after values of every kind and through escapes', () => {
    const texts = [
      '{"a":1,"a":1}',
      '{"a":"x\\"","b":{"a":[1,{"}":"{"}]},"a":2}',
      '{"a":[],"b":null,"a":true}',
      '{ "a" : 1 , "b" : 2 , "a" : 3 }',
      '{"\\u00e9":1,"é":2}',
      '{"\\/":1,"/":2}',
    ];
    for (const text of texts) assert.throws(() => parse(text), (e) => refusalReason(e) === 'duplicate_member', text);
  });

  it('agrees with JSON.parse on generated objects, and catches an appended duplicate', () => {
    const forbidden = new Set(['__proto__', 'constructor', 'prototype']);
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue(), { minKeys: 1 }), fc.nat(), (object, pick) => {
        const keys = Object.keys(object);
        if (keys.some((k) => forbidden.has(k))) return;
        const text = JSON.stringify(object, null, pick % 2 === 0 ? undefined : 1);
        assert.deepEqual(parse(text), JSON.parse(text));
        const dup = keys[pick % keys.length]!;
        const withDup = `${text.slice(0, text.lastIndexOf('}'))},${JSON.stringify(dup)}:0}`;
        assert.throws(() => parse(withDup), (e) => refusalReason(e) === 'duplicate_member');
      }),
      { numRuns: 300 },
    );
  });
});

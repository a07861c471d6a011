/**
 * Property-based fuzzing of the pure parsers every request goes through, with oracles where
 * one exists (not only "does not crash"):
 * - the token parser and verifier (`parseCompactJws`, `verifyAccessToken`): arbitrary strings,
 *   token-shaped strings, mutations of a valid token (never accepted), and tokens signed by
 *   the real key over arbitrary headers and claims (accepted only when every documented rule
 *   holds);
 * - the strict JSON object parser (duplicate and forbidden members, also through escapes) and
 *   strict base64url;
 * - the cookie reader (`readCookie`) and the opaque credential parser (`parseCredential`);
 * - the origin check and the client-address rule;
 * - the server's configuration parser (`loadConfig`): random environments and flags get a
 *   configuration or a `ConfigError`, never another exception, and never an error message
 *   that repeats a secret.
 * Together with packages/server/test/robustness/fuzz-routes.test.ts (every JSON route), a CI
 * run tries more than 100,000 generated inputs; the count is printed.
 *
 * Seeds: property i runs with seed `TESSERA_FUZZ_SEED + i` (fixed by default, printed on
 * failure); `TESSERA_FUZZ_SEED=random` draws one. `TESSERA_PARSER_FUZZ_SCALE=<k>` multiplies
 * every run count (the long suite runs k = 10).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase64url, encodeBase64url } from '../../packages/tessera/src/crypto/base64url.js';
import { parseCredential } from '../../packages/tessera/src/crypto/tokens.js';
import { TesseraError } from '../../packages/tessera/src/errors.js';
import { clientIp } from '../../packages/tessera/src/http/client-ip.js';
import { readCookie } from '../../packages/tessera/src/http/cookies.js';
import { assertSameOrigin } from '../../packages/tessera/src/http/request-origin.js';
import { signAccessToken, verifyAccessToken } from '../../packages/tessera/src/jwt/access-token.js';
import type { AccessTokenClaims, VerifyAccessTokenOptions } from '../../packages/tessera/src/jwt/access-token.js';
import { signJws } from '../../packages/tessera/src/jwt/algorithms.js';
import { parseJsonObject } from '../../packages/tessera/src/jwt/json-object.js';
import { parseCompactJws } from '../../packages/tessera/src/jwt/jws-compact.js';
import { generateSigningKey, KeyRing } from '../../packages/tessera/src/jwt/key-ring.js';
import type { SigningKey } from '../../packages/tessera/src/jwt/key-ring.js';
import { refusalReason } from '../../packages/tessera/src/jwt/refusal.js';
import { ConfigError, describeConfig, loadConfig } from '../../packages/server/src/config.js';

const SCALE = Math.max(1, Number(process.env.TESSERA_PARSER_FUZZ_SCALE ?? 1));
const SEED_ENV = process.env.TESSERA_FUZZ_SEED;
const BASE_SEED = SEED_ENV === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(SEED_ENV ?? 20_261_204);

let propertyIndex = 0;
const counts = new Map<string, number>();

/** Runs a property with its own seed; counts the inputs; puts the failing cause in the message. */
function check<Ts extends [unknown, ...unknown[]]>(name: string, runs: number, property: fc.IProperty<Ts>): void {
  const numRuns = runs * SCALE;
  const seed = BASE_SEED + propertyIndex++;
  try {
    fc.assert(property, { numRuns, seed, endOnFailure: false });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) (error as Error).message += `\nCause: ${cause.message}`;
    (error as Error).message += `\nReproduce: TESSERA_FUZZ_SEED=${BASE_SEED}`;
    throw error;
  }
  counts.set(name, (counts.get(name) ?? 0) + numRuns);
}

/** True for the refusals the token layer may throw: unauthorized or token_expired, with a reason. */
function isTokenRefusal(error: unknown): boolean {
  return error instanceof TesseraError && (error.code === 'unauthorized' || error.code === 'token_expired') && refusalReason(error) !== undefined;
}

// ---------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64urlChar = fc.constantFrom(...B64URL.split(''));
const nearB64Char = fc.constantFrom(...`${B64URL}+/=. \t%\u00e9\u0000\n`.split(''));
const b64urlString = (maxLength: number) => fc.string({ unit: b64urlChar, maxLength });
/** Any string: printable, full Unicode (lone surrogates included), and raw code units. */
const anyString = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 60 }));

const ISSUER = 'https://auth.example';
const AUDIENCE = 'https://api.example';
const NOW = 1_796_400_000;
const TOLERANCE = 5;
const TTL = 900;

let signer: SigningKey;
let verifyOptions: VerifyAccessTokenOptions;
let validClaims: AccessTokenClaims;
let validToken: string;

before(async () => {
  const record = await generateSigningKey('EdDSA', (NOW - 3600) * 1000);
  const ring = new KeyRing([record]);
  signer = ring.signingKey(NOW * 1000);
  verifyOptions = { keys: ring.lookup, issuer: ISSUER, audience: AUDIENCE, nowSeconds: NOW, clockToleranceSeconds: TOLERANCE, maxTtlSeconds: TTL };
  validClaims = { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', sid: 'session-1', client_id: 'tessera', iat: NOW - 60, exp: NOW - 60 + TTL, jti: 'jti-1' };
  validToken = signAccessToken(validClaims, signer);
  assert.deepEqual(verifyAccessToken(validToken, verifyOptions), validClaims);
});

after(() => {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const detail = [...counts].map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join('; ');
  const ci = SCALE === 1 ? `; with fuzz-routes' 24,000 a CI run tries ${(total + 24_000).toLocaleString('en')}` : ` (${SCALE}× the CI budget)`;
  console.log(`parser fuzzing: ${total.toLocaleString('en')} generated inputs (${detail})${ci}`);
});

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

/** A string shaped like a compact JWS: parts of base64url-ish text joined by dots. */
const tokenShaped = fc.array(fc.string({ unit: nearB64Char, maxLength: 120 }), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.'));

/** base64url of JSON text from an arbitrary JSON value (so that most parts decode). */
const encodedJson = fc.oneof(fc.json({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null')).map((t) => encodeBase64url(t));
const jsonParts = fc.tuple(encodedJson, encodedJson, b64urlString(100)).map((p) => p.join('.'));

describe('token parser and verifier', () => {
  it('parseCompactJws: any input is parsed or refused with `unauthorized` and a reason, nothing else', () => {
    check('parseCompactJws', 22_000, fc.property(fc.oneof(anyString, tokenShaped, jsonParts, fc.anything()), (input) => {
      try {
        const parsed = parseCompactJws(input);
        // Accepted structure: three canonical parts, a header object with a string alg.
        assert.equal(typeof input, 'string');
        assert.equal((input as string).split('.').length, 3);
        assert.equal(typeof parsed.header.alg, 'string');
        assert.ok(parsed.signature.length > 0);
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(isTokenRefusal(error), `threw ${String(error)}`);
      }
    }));
  });

  it('verifyAccessToken: no mutation of a valid token is accepted', () => {
    const mutation = fc.tuple(fc.constantFrom('replace', 'insert', 'delete', 'swap-parts', 'truncate', 'case', 'pad'), fc.nat(), fc.constantFrom(...`${B64URL}.=+/ `.split('')));
    check('token mutations', 10_000, fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ops) => {
      let t = validToken;
      for (const [op, n, ch] of ops) {
        const i = n % (t.length + 1);
        if (op === 'replace') t = t.slice(0, i) + ch + t.slice(i + 1);
        else if (op === 'insert') t = t.slice(0, i) + ch + t.slice(i);
        else if (op === 'delete') t = t.slice(0, i) + t.slice(i + 1);
        else if (op === 'swap-parts') {
          const p = t.split('.');
          if (p.length >= 2) [p[0], p[1]] = [p[1]!, p[0]!];
          t = p.join('.');
        } else if (op === 'truncate') t = t.slice(0, i);
        else if (op === 'case') t = t.slice(0, i) + (t[i] === t[i]?.toUpperCase() ? (t[i]?.toLowerCase() ?? '') : (t[i]?.toUpperCase() ?? '')) + t.slice(i + 1);
        else t += '='.repeat((n % 3) + 1);
      }
      fc.pre(t !== validToken);
      assert.throws(() => verifyAccessToken(t, verifyOptions), (e) => isTokenRefusal(e), `accepted a mutation: ${t}`);
    }));
  });

  it('verifyAccessToken: a token signed by the real key over arbitrary header and claims is accepted only when every rule holds', () => {
    const headerExtra = fc.dictionary(fc.oneof(fc.constantFrom('alg', 'typ', 'kid', 'jwk', 'jku', 'x5u', 'x5c', 'crit', 'b64', 'zip', 'enc', 'cty', '__proto__', 'x'), fc.string({ maxLength: 8 })), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
    const claimValue = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.integer({ min: NOW - 5000, max: NOW + 5000 }), fc.constantFrom(ISSUER, AUDIENCE, [AUDIENCE], `${ISSUER}/`, ''));
    const claimChanges = fc.dictionary(fc.constantFrom('iss', 'aud', 'sub', 'sid', 'client_id', 'iat', 'exp', 'nbf', 'jti', 'admin', 'constructor'), fc.option(claimValue, { nil: undefined }), { maxKeys: 3 });
    check('signed arbitrary tokens', 5_000, fc.property(headerExtra, claimChanges, fc.boolean(), (extra, changes, keepHeader) => {
      const header: Record<string, unknown> = keepHeader ? { alg: 'EdDSA', typ: 'at+jwt', kid: signer.kid, ...extra } : { ...extra };
      const claims: Record<string, unknown> = { ...validClaims };
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined) delete claims[k];
        else claims[k] = v;
      }
      const input = `${encodeBase64url(JSON.stringify(header))}.${encodeBase64url(JSON.stringify(claims))}`;
      const token = `${input}.${encodeBase64url(signJws('EdDSA', signer.key, Buffer.from(input)))}`;
      let accepted: AccessTokenClaims;
      try {
        accepted = verifyAccessToken(token, verifyOptions);
      } catch (error) {
        assert.ok(isTokenRefusal(error), `threw ${String(error)}`);
        return;
      }
      // The oracle: every documented rule holds for what was accepted.
      assert.equal(header.alg, 'EdDSA');
      assert.equal(header.kid, signer.kid);
      assert.ok(typeof header.typ === 'string' && ['at+jwt', 'application/at+jwt'].includes(header.typ.toLowerCase()), `typ ${String(header.typ)}`);
      for (const m of ['jwk', 'jku', 'x5u', 'x5c', 'crit', 'b64', 'zip', 'enc']) assert.ok(!(m in header), `accepted a ${m} header`);
      assert.equal(accepted.iss, ISSUER);
      assert.ok(accepted.aud === AUDIENCE || (Array.isArray(accepted.aud) && accepted.aud.includes(AUDIENCE)));
      for (const k of ['sub', 'sid', 'jti', 'client_id'] as const) assert.ok(typeof accepted[k] === 'string' && accepted[k].length > 0, k);
      assert.ok(Number.isSafeInteger(accepted.iat) && Number.isSafeInteger(accepted.exp));
      assert.ok(accepted.exp > NOW - TOLERANCE && accepted.iat <= NOW + TOLERANCE && accepted.exp - accepted.iat <= TTL && accepted.exp > accepted.iat);
      assert.ok(accepted.nbf === undefined || (Number.isSafeInteger(accepted.nbf) && accepted.nbf <= NOW + TOLERANCE));
      assert.ok(!Object.hasOwn(accepted, 'constructor'));
    }));
  });
});

// ---------------------------------------------------------------------------------------
// JSON objects and base64url
// ---------------------------------------------------------------------------------------

describe('strict JSON objects and base64url', () => {
  it('parseJsonObject: arbitrary bytes are parsed or refused (bad_json, not_an_object, duplicate_member, forbidden_member)', () => {
    check('parseJsonObject bytes', 6_000, fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s))), (bytes) => {
      try {
        const value = parseJsonObject(bytes);
        assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value));
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(isTokenRefusal(error), `threw ${String(error)}`);
      }
    }));
  });

  it('parseJsonObject: objects round-trip exactly; a duplicate or forbidden top-level member, escaped or not, is refused', () => {
    const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];
    /** The member name as a JSON string literal whose first code unit is written as a \\u escape. */
    const escaped = (name: string) => `"\\u${name.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(name.slice(1)).slice(1)}`;
    check('parseJsonObject oracle', 6_000, fc.property(
      fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...FORBIDDEN)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
      fc.constantFrom(0, 1, '\t'),
      fc.constantFrom('none', 'duplicate', 'escaped-duplicate'),
      (object, indent, twist) => {
        let text = JSON.stringify(object, null, indent);
        const keys = Object.keys(object);
        let expected: 'ok' | 'duplicate_member' | 'forbidden_member' = keys.some((k) => FORBIDDEN.includes(k)) ? 'forbidden_member' : 'ok';
        if (twist !== 'none' && keys.length > 0 && keys[0]!.length > 0) {
          const name = twist === 'duplicate' ? JSON.stringify(keys[0]) : escaped(keys[0]!);
          text = `${text.slice(0, text.lastIndexOf('}'))}${keys.length > 0 ? ',' : ''}${name}:1}`;
          if (expected === 'ok') expected = FORBIDDEN.includes(keys[0]!) ? 'forbidden_member' : 'duplicate_member';
        }
        const bytes = Buffer.from(text, 'utf8');
        if (expected === 'ok') assert.deepEqual(parseJsonObject(bytes), JSON.parse(text));
        else assert.throws(() => parseJsonObject(bytes), (e) => refusalReason(e) === expected || (expected === 'duplicate_member' && refusalReason(e) === 'forbidden_member'), text);
      },
    ));
  });

  it('decodeBase64url: decodes only canonical unpadded base64url, and re-encodes to the same text', () => {
    check('base64url', 5_000, fc.property(fc.oneof(b64urlString(60), fc.string({ unit: nearB64Char, maxLength: 60 }), fc.uint8Array({ maxLength: 45 }).map((b) => Buffer.from(b).toString('base64url'))), (text) => {
      const bytes = decodeBase64url(text);
      if (bytes === null) {
        assert.ok(!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1 || Buffer.from(text, 'base64url').toString('base64url') !== text, `refused a canonical string ${text}`);
      } else {
        assert.equal(encodeBase64url(bytes), text);
      }
    }));
  });
});

// ---------------------------------------------------------------------------------------
// Cookies and credentials
// ---------------------------------------------------------------------------------------

const SESSION = '__Host-tessera_session';

describe('cookie reader and credential parser', () => {
  it('readCookie: any header, string or list, gives absent, present (a string) or ambiguous, never an exception', () => {
    const header = fc.oneof(anyString, fc.array(anyString, { maxLength: 4 }), fc.constant(undefined),
      fc.array(fc.tuple(fc.oneof(fc.constant(SESSION), fc.string({ maxLength: 30 })), anyString), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; ')));
    check('readCookie arbitrary', 9_000, fc.property(header, (h) => {
      const r = readCookie(h, SESSION);
      assert.ok(['absent', 'present', 'ambiguous'].includes(r.status));
      if (r.status === 'present') assert.equal(typeof r.value, 'string');
    }));
  });

  it('readCookie: with cookie-safe values, exactly one occurrence is found with its exact value; two or more are ambiguous', () => {
    const cookieValue = fc.string({ unit: fc.constantFrom(...`${B64URL}.!#$&'()*+/:<>?@[]^\`{|}~`.split('')), maxLength: 70 });
    const otherName = fc.oneof(fc.constantFrom('tessera_session', '__Host-tessera_sessionx', '__host-tessera_session', 'x__Host-tessera_session', 'Path', 'Domain', 'a'), fc.string({ unit: b64urlChar, minLength: 1, maxLength: 10 }));
    check('readCookie oracle', 9_000, fc.property(
      fc.array(fc.tuple(fc.oneof(fc.constant(SESSION), otherName), cookieValue), { maxLength: 6 }),
      fc.constantFrom('; ', ';', ' ;  '),
      (pairs, separator) => {
        const header = pairs.map(([k, v]) => `${k}=${v}`).join(separator);
        const mine = pairs.filter(([k]) => k === SESSION);
        const r = readCookie(header, SESSION);
        if (mine.length === 0) assert.equal(r.status, 'absent', header);
        else if (mine.length > 1) assert.equal(r.status, 'ambiguous', header);
        else assert.deepEqual(r, { status: 'present', value: mine[0]![1] }, header);
      },
    ));
  });

  it('parseCredential: only `<22>.<43>` canonical base64url (16 and 32 bytes) is accepted, and it splits exactly', () => {
    const nearCredential = fc.tuple(fc.string({ unit: nearB64Char, minLength: 20, maxLength: 24 }), fc.constantFrom('.', '', '..', '_'), fc.string({ unit: nearB64Char, minLength: 41, maxLength: 45 })).map(([a, dot, b]) => `${a}${dot}${b}`);
    const real = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([a, b]) => `${encodeBase64url(a)}.${encodeBase64url(b)}`);
    check('parseCredential', 10_000, fc.property(fc.oneof(anyString, nearCredential, real), (text) => {
      const parsed = parseCredential(text);
      const canonical = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/.test(text) && decodeBase64url(text.slice(0, 22))?.length === 16 && decodeBase64url(text.slice(23))?.length === 32;
      if (parsed === null) assert.ok(!canonical, `refused ${text}`);
      else {
        assert.ok(canonical, `accepted ${JSON.stringify(text)}`);
        assert.equal(`${parsed.id}.${parsed.secret}`, text);
      }
    }));
  });
});

// ---------------------------------------------------------------------------------------
// Origins and client addresses
// ---------------------------------------------------------------------------------------

describe('origin check and client address', () => {
  it('assertSameOrigin: passes or throws `forbidden`; a state-changing request from an origin that is neither ours nor trusted never passes', () => {
    const origin = fc.oneof(fc.constant(undefined), fc.constant('null'), fc.constantFrom('http://localhost', 'https://app.example.com', 'https://evil.example', 'http://localhost:80', 'http://LOCALHOST', 'http://localhost.evil.example', 'https://app.example.com.evil'), fc.webUrl(), anyString);
    const site = fc.oneof(fc.constant(undefined), fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none', 'CROSS-SITE'), anyString);
    const method = fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH', 'post');
    check('assertSameOrigin', 5_000, fc.property(method, origin, site, (m, o, sfs) => {
      const input = { method: m, origin: o, secFetchSite: sfs, ownOrigin: 'http://localhost', trustedOrigins: ['https://app.example.com'] };
      let passed = true;
      try {
        assertSameOrigin(input);
      } catch (error) {
        assert.ok(error instanceof TesseraError && error.code === 'forbidden', `threw ${String(error)}`);
        passed = false;
      }
      if (passed && !['GET', 'HEAD', 'OPTIONS'].includes(m.toUpperCase())) {
        const s = sfs?.toLowerCase();
        if (s === 'cross-site' || s === 'same-site') assert.equal(o, 'https://app.example.com', `passed ${s} from ${o}`);
        if (o !== undefined) {
          const canonical = (() => { try { return new URL(o).origin; } catch { return undefined; } })();
          assert.ok(canonical === 'http://localhost' || canonical === 'https://app.example.com', `passed a foreign origin ${o}`);
        }
      }
    }));
  });

  it('clientIp: always a string; with 0 trusted hops the socket address whatever X-Forwarded-For says', () => {
    check('clientIp', 4_000, fc.property(fc.option(anyString, { nil: undefined }), fc.oneof(fc.constant(undefined), anyString, fc.array(anyString, { maxLength: 3 })), fc.integer({ min: 0, max: 40 }), (remote, xff, hops) => {
      const ip = clientIp(remote, xff, hops);
      assert.equal(typeof ip, 'string');
      if (hops === 0) assert.equal(ip, remote ?? 'unknown');
    }));
  });
});

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

describe('configuration parser', () => {
  const NAMES = describeConfig().map((row) => row.env);
  const SECRET_NAMES = ['TESSERA_SERVICE_KEYS', 'TESSERA_DATABASE_URL', 'TESSERA_REDIS_URL'];
  const value = fc.oneof(
    anyString,
    fc.constantFrom('', ' ', '0', '1', '-1', '1e3', '0x10', '07', '900', ' 900 ', '315360001', '9007199254740993', 'true', 'false', 'TRUE', 'EdDSA', 'eddsa', 'HS256', 'none', 'silent', 'info', 'trace'),
    fc.constantFrom('http://auth.example.com', 'https://auth.example.com/', 'https://u:p@auth.example.com', 'https://a.example?x=1', 'ftp://x', 'redis://127.0.0.1:6379', 'rediss://h', 'postgres://u:secretpw@h/db', 'postgresql://h', 'https://a.example,https://b.example', 'https://*.example'),
    fc.integer().map(String),
    fc.string({ unit: fc.constantFrom(...'0123456789 ,:/.-_abcAZ'.split('')), maxLength: 40 }),
  );
  const env = fc.dictionary(fc.oneof(fc.constantFrom(...NAMES), fc.constantFrom('PATH', 'HOME', 'TESSERA_UNKNOWN')), value, { maxKeys: 8 });

  it('loadConfig(env): a frozen configuration or a ConfigError naming a variable; never another exception; never a secret in the message', () => {
    check('loadConfig env', 9_000, fc.property(env, (e) => {
      try {
        const config = loadConfig([], e);
        assert.ok(Object.isFrozen(config));
        assert.ok(Number.isSafeInteger(config.port) && config.port >= 1 && config.port <= 65_535);
        assert.ok(config.sessionAbsoluteTimeoutSeconds >= config.sessionIdleTimeoutSeconds);
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(error instanceof ConfigError, `threw ${String(error)}`);
        assert.ok(error.variable.length > 0 && error.message.includes(error.variable), error.message);
        // (A part that is also the value of a non-secret variable may rightly be shown as that.)
        const shown = Object.entries(e).filter(([k]) => !SECRET_NAMES.includes(k)).map(([, v]) => v);
        for (const name of SECRET_NAMES) {
          const secret = e[name];
          if (secret !== undefined && secret.trim().length >= 12) {
            for (const part of secret.split(',').map((p) => p.trim()).filter((p) => p.length >= 12 && !shown.some((v) => v.includes(p)))) {
              assert.ok(!error.message.includes(part), `${error.variable}: the message repeats ${name}`);
            }
          }
        }
      }
    }));
  });

  it('HOST values from which no issuer URL can be made are a ConfigError naming HOST (found by the fuzzer)', () => {
    for (const host of [':', 'a:b', ' :', '[', 'a]', 'a%zz']) {
      assert.throws(() => loadConfig([], { HOST: host }), (e) => e instanceof ConfigError && e.variable === 'HOST', `HOST=${JSON.stringify(host)}`);
    }
  });

  it('loadConfig(argv): any flags give a configuration or a ConfigError', () => {
    const flag = fc.oneof(fc.constantFrom('--port', '--host', '--data-dir', '--database-url', '--redis-url', '--issuer', '--port=', '--', '-p', '--unknown', '--issuer=https://a.example'), anyString);
    check('loadConfig argv', 3_000, fc.property(fc.array(flag, { maxLength: 5 }), env, (argv, e) => {
      try {
        loadConfig(argv, e);
      } catch (error) {
        assert.ok(error instanceof ConfigError, `threw ${String(error)} for ${JSON.stringify(argv)}`);
      }
    }));
  });
});

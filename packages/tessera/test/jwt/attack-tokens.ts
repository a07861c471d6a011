/**
 * Hostile and malformed access tokens, built programmatically against a real key ring so that
 * each token has exactly one defect: when a token is signed, it is signed by a key of the ring
 * (or deliberately by a foreign key), so a refusal proves the intended check, not a bad
 * signature. Every token in the list must be refused with `TesseraError('unauthorized')`.
 * Reusable by any suite that accepts access tokens (core, HTTP adapters).
 */
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, sign } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { signJws } from '../../src/jwt/algorithms.js';
import type { JwsAlgorithm } from '../../src/jwt/algorithms.js';
import type { AccessTokenClaims } from '../../src/jwt/access-token.js';
import type { KeyRing, SigningKey } from '../../src/jwt/key-ring.js';
import type { SigningKeyRecord } from '../../src/stores/types.js';

/** What the attacks are built from; `claims` must be valid at `nowSeconds` for these options. */
export interface AttackContext {
  /** The records `ring` was built from (their private keys forge the "almost valid" tokens). */
  records: readonly SigningKeyRecord[];
  ring: KeyRing;
  claims: AccessTokenClaims;
  nowSeconds: number;
  clockToleranceSeconds: number;
  maxTtlSeconds: number;
}

/** One hostile input and what it exercises. */
export interface AttackToken {
  name: string;
  token: unknown;
}

/** A fixed "now" for suites: 2026-01-01T00:00:00Z, in seconds. */
export const TEST_NOW_SECONDS = 1_767_225_600;

/** Verification settings matching {@link validClaims}. */
export const TEST_VERIFY = {
  issuer: 'https://auth.example',
  audience: 'https://api.example',
  clockToleranceSeconds: 30,
  maxTtlSeconds: 900,
} as const;

/** Claims valid at `nowSeconds` under {@link TEST_VERIFY}: issued a minute ago, 15 minutes TTL. */
export function validClaims(nowSeconds: number = TEST_NOW_SECONDS): AccessTokenClaims {
  const iat = nowSeconds - 60;
  return {
    iss: TEST_VERIFY.issuer,
    aud: TEST_VERIFY.audience,
    sub: 'user-1',
    sid: 'session-1',
    client_id: 'web',
    iat,
    exp: iat + 900,
    jti: 'jti-1',
  };
}

/**
 * Records for a ring in which `signerAlg` signs at `nowMs` and a key of every other algorithm
 * is retired but still verifying and (if asymmetric) published. `keys` holds one record per
 * algorithm, e.g. from `generateSigningKey`.
 */
export function ringRecords(keys: Readonly<Record<JwsAlgorithm, SigningKeyRecord>>, signerAlg: JwsAlgorithm, nowMs: number): SigningKeyRecord[] {
  return Object.values(keys).map((record) =>
    record.alg === signerAlg
      ? { ...record, createdAt: nowMs - 600_000, activatesAt: nowMs - 500_000, retiresAt: null, expiresAt: null }
      : { ...record, createdAt: nowMs - 3_600_000, activatesAt: nowMs - 3_000_000, retiresAt: nowMs - 500_000, expiresAt: nowMs + 600_000 },
  );
}

/** Unpadded base64url of bytes or a UTF-8 string. */
export function b64u(input: Uint8Array | string): string {
  return Buffer.from(input).toString('base64url');
}

/** A compact JWS over raw header and payload texts (so duplicates and odd JSON survive). */
export function forge(headerText: string, payloadText: string | Uint8Array, alg: JwsAlgorithm, key: KeyObject): string {
  const input = `${b64u(headerText)}.${b64u(payloadText)}`;
  return `${input}.${b64u(signJws(alg, key, Buffer.from(input)))}`;
}

/** The P-256 group order n (a signature scalar must be below it). */
/** The order of the Ed25519 base point (RFC 8032 §5.1). */
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P256_N = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');

/** Every attack token for `ctx`, named. */
export function attackTokens(ctx: AttackContext): AttackToken[] {
  const { claims, nowSeconds: now, clockToleranceSeconds: tol, maxTtlSeconds: ttl } = ctx;
  const signer = ctx.ring.signingKey(now * 1000);
  const out: AttackToken[] = [];
  const add = (name: string, token: unknown): void => void out.push({ name, token });
  const hdr = (extra: Record<string, unknown> = {}): string => JSON.stringify({ alg: signer.alg, typ: 'at+jwt', kid: signer.kid, ...extra });
  const body = JSON.stringify(claims);
  const withClaims = (name: string, changes: Record<string, unknown>): void =>
    add(name, forge(hdr(), JSON.stringify({ ...claims, ...changes }), signer.alg, signer.key));
  const signed = (name: string, headerText: string, payloadText: string | Uint8Array = body): void =>
    add(name, forge(headerText, payloadText, signer.alg, signer.key));
  const valid = forge(hdr(), body, signer.alg, signer.key);
  const [h, p, s] = valid.split('.') as [string, string, string];

  // Input type and size.
  for (const [name, token] of [['undefined', undefined], ['null', null], ['number', 42], ['object', {}], ['array', [valid]],
    ['Buffer', Buffer.from(valid)], ['String object', new String(valid)]] as const) add(`non-string input: ${name}`, token);
  withClaims('token over 8 KiB (validly signed)', { pad: 'x'.repeat(8192) });
  add('8 KiB of dots', '.'.repeat(8193));

  // alg none in several casings (RFC 7515 §A.5; CVE-2015-9235 class).
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    add(`alg ${alg}, empty signature`, `${b64u(JSON.stringify({ alg, typ: 'at+jwt', kid: signer.kid }))}.${p}.`);
    add(`alg ${alg}, junk signature`, `${b64u(JSON.stringify({ alg, typ: 'at+jwt', kid: signer.kid }))}.${p}.${b64u('x')}`);
  }
  // The header alg must equal the key's, case-sensitively.
  signed('alg in lower case', hdr({ alg: signer.alg.toLowerCase() }));
  if (signer.alg.toUpperCase() !== signer.alg) signed('alg in upper case', hdr({ alg: signer.alg.toUpperCase() }));
  signed('alg with its first letter lower-cased', hdr({ alg: signer.alg[0]!.toLowerCase() + signer.alg.slice(1) }));
  signed('alg with trailing space', hdr({ alg: `${signer.alg} ` }));
  signed('alg of another algorithm', hdr({ alg: signer.alg === 'RS256' ? 'ES256' : 'RS256' }));
  signed('alg missing', JSON.stringify({ typ: 'at+jwt', kid: signer.kid }));
  signed('alg not a string', hdr({ alg: [signer.alg] }));

  // A key chosen by the token itself, or a foreign key claiming our kid.
  const foreign = foreignKey(signer);
  const foreignPublic = (foreign.key.type === 'secret' ? foreign.key : createPublicKey(foreign.key)).export({ format: 'jwk' });
  add('embedded jwk signed by the embedded key', forge(JSON.stringify({ alg: foreign.alg, typ: 'at+jwt', kid: signer.kid, jwk: foreignPublic }), body, foreign.alg, foreign.key));
  add('foreign key with our kid', forge(JSON.stringify({ alg: foreign.alg, typ: 'at+jwt', kid: signer.kid }), body, foreign.alg, foreign.key));
  for (const [member, value] of [['jku', 'https://attacker.example/jwks.json'], ['x5u', 'https://attacker.example/cert.pem'],
    ['x5c', ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA']], ['x5t', b64u('0123456789abcdef0123')], ['x5t#S256', b64u('0'.repeat(32))],
    ['jwk', foreignPublic]] as const) signed(`embedded ${member} header (signed by our key)`, hdr({ [member]: value }));

  // Hostile kids: only ever a Map key.
  for (const [name, kid] of [['path traversal', '../../etc/passwd'], ['SQL injection', "' OR 1=1 --"], ['object', { $ne: null }],
    ['12 KB string', 'k'.repeat(12 * 1024)], ['__proto__', '__proto__'], ['constructor', 'constructor'], ['toString', 'toString'],
    ['empty', ''], ['number', 1], ['null', null], ['257 chars', 'k'.repeat(257)], ['missing', undefined]] as const) {
    signed(`hostile kid: ${name}`, hdr({ kid }));
  }

  // Extensions we do not implement (RFC 7515 §4.1.11, RFC 7797) and JWE members.
  signed('crit naming an unknown extension', hdr({ crit: ['urn:example:ext'], 'urn:example:ext': true }));
  signed('crit naming exp', hdr({ crit: ['exp'] }));
  signed('empty crit', hdr({ crit: [] }));
  signed('crit b64 with b64 false', hdr({ crit: ['b64'], b64: false }));
  signed('b64 false', hdr({ b64: false }));
  signed('b64 true', hdr({ b64: true }));
  signed('zip header', hdr({ zip: 'DEF' }));
  signed('enc header', hdr({ enc: 'A256GCM' }));

  // typ (RFC 9068 §4, RFC 8725 §3.11).
  for (const [name, typ] of [['missing', undefined], ['JWT', 'JWT'], ['jwt', 'jwt'], ['application/jwt', 'application/jwt'],
    ['trailing space', 'at+jwt '], ['dpop+jwt', 'dpop+jwt'], ['number', 1], ['null', null], ['array', ['at+jwt']]] as const) {
    signed(`typ ${name}`, hdr({ typ }));
  }

  // Header and payload JSON.
  for (const [name, text] of [['array', '[]'], ['null', 'null'], ['string', '"x"'], ['number', '1'], ['truncated JSON', '{"alg":'],
    ['BOM-prefixed', `\ufeff${hdr()}`]] as const) {
    signed(`header ${name}`, text);
    signed(`payload ${name}`, hdr(), text);
  }
  signed('payload not JSON', hdr(), 'Example of Ed25519 signing');
  signed('payload invalid UTF-8', hdr(), Buffer.concat([Buffer.from(body.slice(0, -1)), Buffer.from([0x2c, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])]));
  signed('duplicate header alg', `{"alg":"${signer.alg}","typ":"at+jwt","kid":"${signer.kid}","alg":"${signer.alg}"}`);
  signed('duplicate header kid', `{"alg":"${signer.alg}","typ":"at+jwt","kid":"nope","kid":"${signer.kid}"}`);
  signed('duplicate header alg via escape', `{"alg":"${signer.alg}","typ":"at+jwt","kid":"${signer.kid}","\\u0061lg":"none"}`);
  signed('header __proto__', `{"alg":"${signer.alg}","typ":"at+jwt","kid":"${signer.kid}","__proto__":{"alg":"none"}}`);
  signed('duplicate sub', hdr(), `${body.slice(0, -1)},"sub":"admin"}`);
  signed('duplicate sub via escape', hdr(), `${body.slice(0, -1)},"s\\u0075b":"admin"}`);
  signed('duplicate exp', hdr(), `${body.slice(0, -1)},"exp":${claims.exp + 10 * ttl}}`);
  signed('__proto__ claim', hdr(), `${body.slice(0, -1)},"__proto__":{"admin":true}}`);
  signed('__proto__ claim via escape', hdr(), `${body.slice(0, -1)},"__pr\\u006fto__":{"admin":true}}`);
  signed('constructor claim', hdr(), `${body.slice(0, -1)},"constructor":{"prototype":{"admin":true}}}`);
  signed('prototype claim', hdr(), `${body.slice(0, -1)},"prototype":{}}`);

  // Claims.
  const missing = (claim: keyof AccessTokenClaims): void => {
    const copy: Record<string, unknown> = { ...claims };
    delete copy[claim];
    signed(`${claim} missing`, hdr(), JSON.stringify(copy));
  };
  for (const claim of ['iss', 'aud', 'sub', 'sid', 'jti', 'client_id', 'iat', 'exp'] as const) missing(claim);
  withClaims('wrong iss', { iss: `${claims.iss}.attacker.example` });
  withClaims('iss in another case', { iss: claims.iss.toUpperCase() === claims.iss ? claims.iss.toLowerCase() : claims.iss.toUpperCase() });
  withClaims('iss as an array', { iss: [claims.iss] });
  withClaims('wrong aud', { aud: 'https://other.example' });
  withClaims('aud array without ours', { aud: ['https://other.example'] });
  withClaims('aud empty array', { aud: [] });
  withClaims('aud array with a non-string', { aud: [claims.aud, 1].flat() });
  withClaims('aud object', { aud: { 0: claims.aud } });
  for (const claim of ['sub', 'sid', 'jti', 'client_id'] as const) {
    withClaims(`${claim} empty`, { [claim]: '' });
    withClaims(`${claim} a number`, { [claim]: 123 });
  }
  withClaims('iat a string', { iat: String(claims.iat) });
  withClaims('exp a string', { exp: String(claims.exp) });
  withClaims('exp a fraction', { exp: claims.exp + 0.5 });
  signed('exp overflowing to Infinity', hdr(), JSON.stringify({ ...claims, exp: 0 }).replace('"exp":0', '"exp":1e400'));
  withClaims('nbf a string', { nbf: String(now) });
  withClaims('nbf in the future', { nbf: now + tol + 60 });
  withClaims('iat in the future', { iat: now + tol + 60, exp: now + tol + 60 + Math.floor(ttl / 2) });
  withClaims('far-future exp (exp - iat > max TTL)', { exp: claims.iat + ttl + 1 });
  withClaims('exp equal to iat', { exp: claims.iat });
  withClaims('exp before iat', { iat: claims.exp, exp: claims.iat });

  // Signature and structure.
  add('tampered payload', `${h}.${b64u(JSON.stringify({ ...claims, sub: 'admin' }))}.${s}`);
  const sig = Buffer.from(s, 'base64url');
  add('truncated signature (one byte short)', `${h}.${p}.${b64u(sig.subarray(0, -1))}`);
  add('signature with an extra byte', `${h}.${p}.${b64u(Buffer.concat([sig, Buffer.alloc(1)]))}`);
  add('signature with a flipped bit', `${h}.${p}.${b64u(Buffer.from(sig.map((b, i) => (i === 0 ? b ^ 1 : b))))}`);
  add('empty signature', `${h}.${p}.`);
  add('signature of another token', `${h}.${p}.${forge(hdr(), JSON.stringify({ ...claims, jti: 'other' }), signer.alg, signer.key).split('.')[2]}`);
  add('two parts', `${h}.${p}`);
  add('four parts', `${valid}.`);
  add('four parts with data', `${valid}.${s}`);
  add('five-part JWE', `${b64u(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: signer.kid }))}..${b64u('123456789012')}.${p}.${b64u('0123456789abcdef')}`);
  add('five parts with our header', `${h}..${p}.${s}.${s}`);
  add('base64 padding', `${h}.${p}.${s}${'='.repeat((4 - (s.length % 4)) % 4 || 4)}`);
  add('base64 padding on the header', `${h}=.${p}.${s}`);
  // The one base64url defect that spells the same bytes another way: a spare low bit of a part's
  // last character set (a lenient decoder ignores it, and the token gets a twin).
  const spareBitSet = (part: string): string | undefined => {
    if ((part.length * 6) % 8 === 0) return undefined; // no spare bits to set
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    return part.slice(0, -1) + alphabet[alphabet.indexOf(part.at(-1)!) ^ 1]!;
  };
  for (const [which, twin] of [
    ['signature', spareBitSet(s) && `${h}.${p}.${spareBitSet(s)}`],
    ['header', spareBitSet(h) && `${spareBitSet(h)}.${p}.${s}`],
    ['payload', spareBitSet(p) && `${h}.${spareBitSet(p)}.${s}`],
  ] as const) {
    if (twin) add(`non-canonical base64url: a spare bit set in the ${which}'s last character`, twin);
  }
  const standard = validWithUrlAlphabet(ctx, signer);
  add('standard base64 alphabet (+ /)', standard.replace(/-/g, '+').replace(/_/g, '/'));
  add('leading whitespace', ` ${valid}`);
  add('trailing newline', `${valid}\n`);
  add('Bearer prefix', `Bearer ${valid}`);
  add('JWS JSON serialisation (flattened)', JSON.stringify({ protected: h, payload: p, signature: s }));
  add('JWS JSON serialisation (general)', JSON.stringify({ payload: p, signatures: [{ protected: h, signature: s }] }));

  for (const record of ctx.records) addKeySpecific(ctx, record, body, add);
  return out;
}

/** Algorithm confusion and malformed signatures against one key of the ring. */
function addKeySpecific(ctx: AttackContext, record: SigningKeyRecord, body: string, add: (name: string, token: unknown) => void): void {
  const { kid, alg } = record;
  const header = (a: string): string => JSON.stringify({ alg: a, typ: 'at+jwt', kid });
  const input = `${b64u(header(alg))}.${b64u(body)}`;
  const withSig = (name: string, signature: Uint8Array): void => add(`${alg} key: ${name}`, `${input}.${b64u(signature)}`);
  const jwk = JSON.parse(record.privateJwk) as JsonWebKey;
  if (alg === 'HS256') {
    withSig('truncated HMAC', signJws('HS256', createSecretKey(Buffer.from(jwk.k!, 'base64url')), Buffer.from(input)).subarray(0, 16));
    return;
  }
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  const pub = publicKey.export({ format: 'jwk' });
  // CVE-2015-9235 class: HS256 keyed with every form of our public key a server might hold.
  const forms: [string, Uint8Array | string][] = [
    ['SPKI PEM', publicKey.export({ format: 'pem', type: 'spki' }) as string],
    ['SPKI PEM without trailing newline', (publicKey.export({ format: 'pem', type: 'spki' }) as string).trimEnd()],
    ['SPKI DER', publicKey.export({ format: 'der', type: 'spki' })],
    ['JWK JSON', JSON.stringify(pub)],
    ['JWKS entry JSON', JSON.stringify(ctx.ring.jwks(ctx.nowSeconds * 1000).keys.find((k) => k.kid === kid) ?? pub)],
    ['publicJwk record', record.publicJwk ?? ''],
    ['raw bytes', rawPublicBytes(pub)],
  ];
  if (alg === 'RS256') {
    forms.push(['PKCS#1 PEM', publicKey.export({ format: 'pem', type: 'pkcs1' }) as string]);
    forms.push(['PKCS#1 DER', publicKey.export({ format: 'der', type: 'pkcs1' })]);
  }
  for (const [form, secret] of forms) {
    add(`HS256 keyed with the ${alg} public key (${form})`, forge(header('HS256'), body, 'HS256', createSecretKey(Buffer.from(secret))));
  }
  const good = signJws(alg, privateKey, Buffer.from(input));
  withSig('signature with a trailing zero byte', Buffer.concat([good, Buffer.alloc(1)]));
  withSig('all-zero signature', Buffer.alloc(good.length));
  if (alg === 'EdDSA') {
    // RFC 8032 §5.1.7: S must be below the group order L. S + L is a second 32-byte spelling of
    // a valid signature, which a backend skipping that check accepts.
    const s = BigInt(`0x${Buffer.from(good.subarray(32)).reverse().toString('hex')}`) + ED25519_L;
    const sBytes = Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse();
    withSig('S + L (non-canonical S)', Buffer.concat([good.subarray(0, 32), sBytes]));
  }
  if (alg === 'ES256') {
    // CVE-2022-21449 "psychic signature": r = s = 0.
    withSig('r = s = 0 (64 bytes)', Buffer.alloc(64));
    withSig('r = s = 0 (DER)', Buffer.from('3006020100020100', 'hex'));
    withSig('r = s = n', Buffer.concat([P256_N, P256_N]));
    withSig('valid signature, DER-encoded', sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'der' }));
  }
}

/** Public key bytes without any encoding: EC point, Ed25519 x, or the RSA modulus. */
function rawPublicBytes(jwk: JsonWebKey): Buffer {
  if (jwk.kty === 'EC') return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  if (jwk.kty === 'OKP') return Buffer.from(jwk.x!, 'base64url');
  return Buffer.from(jwk.n!, 'base64url');
}

/** A fresh key of the same kind as `signer` (an Ed25519 key when the signer is HS256). */
function foreignKey(signer: SigningKey): { alg: JwsAlgorithm; key: KeyObject } {
  switch (signer.alg) {
    case 'ES256':
      return { alg: 'ES256', key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey };
    case 'RS256':
      return { alg: 'RS256', key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey };
    case 'HS256':
      return { alg: 'HS256', key: createSecretKey(Buffer.alloc(32, 7)) };
    default:
      return { alg: 'EdDSA', key: generateKeyPairSync('ed25519').privateKey };
  }
}

/** A valid token whose encoding contains `-` or `_`, so that swapping alphabets changes it. */
function validWithUrlAlphabet(ctx: AttackContext, signer: SigningKey): string {
  const header = JSON.stringify({ alg: signer.alg, typ: 'at+jwt', kid: signer.kid });
  for (let i = 0; ; i++) {
    const token = forge(header, JSON.stringify({ ...ctx.claims, jti: `${ctx.claims.jti}-${i}` }), signer.alg, signer.key);
    if (/[-_]/.test(token)) return token;
  }
}

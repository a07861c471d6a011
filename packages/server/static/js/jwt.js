// Decoding and verifying Tessera access tokens in the browser, the way a stateless third-party
// service would: with nothing but the public keys of /.well-known/jwks.json and WebCrypto.
// It refuses what Tessera's own verifier refuses (packages/tessera/src/jwt), and says why in
// plain words. It cannot see revocations: only Tessera (or a verifier following its
// revocation feed) knows that a session record has ended.
//
// Pure module: no DOM, so it also runs under Node's WebCrypto in the unit tests.

/** Tokens longer than this are refused before any parsing (Tessera: MAX_COMPACT_JWS_BYTES). */
export const MAX_TOKEN_BYTES = 8192;
const MAX_KID_LENGTH = 256;
const KEY_BEARING_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'];
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const PART_NAMES = ['header', 'claims', 'signature'];

// ---- base64url ------------------------------------------------------------------------

function bytesToBase64url(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Strict unpadded base64url to bytes; null on another alphabet, padding or stray bits. */
export function decodeBase64url(text) {
  if (typeof text !== 'string' || text.length % 4 === 1 || !BASE64URL.test(text)) return null;
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
  let binary;
  try {
    binary = atob(base64);
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // Canonical only: two different strings must never decode to the same bytes.
  return bytesToBase64url(bytes) === text ? bytes : null;
}

// ---- Strict JSON objects --------------------------------------------------------------

function skipWhitespace(text, i) {
  while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  return i;
}

function endOfString(text, start) {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return i;
}

function endOfValue(text, start) {
  const first = text[start];
  if (first === '"') return endOfString(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    let i = start;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i = endOfString(text, i);
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  let i = start;
  while (i < text.length && !',}] \t\n\r'.includes(text[i])) i++;
  return i;
}

/**
 * The top-level member names of `text`, a JSON object already proven well-formed by
 * JSON.parse (which silently keeps the last of duplicate members), unescaped.
 */
export function topLevelNames(text) {
  const names = [];
  let i = skipWhitespace(text, text.indexOf('{') + 1);
  if (text[i] === '}') return names;
  for (let guard = 0; guard < 100000 && i < text.length; guard++) {
    const end = endOfString(text, i);
    const raw = text.slice(i, end);
    names.push(raw.includes('\\') ? JSON.parse(raw) : raw.slice(1, -1));
    i = skipWhitespace(text, text.indexOf(':', end) + 1);
    i = skipWhitespace(text, endOfValue(text, i));
    if (text[i] !== ',') break;
    i = skipWhitespace(text, i + 1);
  }
  return names;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses a part as a JSON object: { value, text } or { problem }. */
function parseObject(bytes, what) {
  let text;
  let value;
  try {
    text = UTF8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return { problem: problem('bad_json', 'The ' + what + ' is not valid UTF-8 JSON.') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: problem('not_an_object', 'The ' + what + ' is JSON but not an object.') };
  }
  const seen = new Set();
  for (const name of topLevelNames(text)) {
    if (FORBIDDEN_NAMES.has(name)) {
      return { value: value, text: text, problem: problem('forbidden_member', 'The ' + what + ' has a member named "' + name + '", a name used for prototype-pollution attacks; Tessera refuses it.') };
    }
    if (seen.has(name)) {
      return { value: value, text: text, problem: problem('duplicate_member', 'The ' + what + ' contains the member "' + name + '" twice. Parsers disagree on which copy wins, so Tessera refuses the token.') };
    }
    seen.add(name);
  }
  return { value: value, text: text };
}

function problem(code, message) {
  return { code: code, message: message };
}

// ---- Decoding -------------------------------------------------------------------------

/**
 * Splits and decodes a compact JWS without trusting it. Returns { header, claims, signature,
 * signingInput, problems, fatal }: `fatal` when nothing further can be checked.
 */
export function decodeToken(input) {
  const result = { header: null, claims: null, signature: null, signingInput: null, problems: [], fatal: false };
  const fail = (code, message) => {
    result.problems.push(problem(code, message));
    result.fatal = true;
    return result;
  };
  if (typeof input !== 'string' || input.trim() === '') return fail('empty', 'Paste a token first.');
  const token = input.trim();
  const bytes = new TextEncoder().encode(token).length;
  if (bytes > MAX_TOKEN_BYTES) {
    return fail('too_large', 'The token is ' + bytes.toLocaleString('en-US') + ' bytes long. Tessera refuses tokens over 8 KiB (8,192 bytes) before reading them, so a huge token cannot cost it work.');
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    const extra = parts.length === 5 ? ' Five parts is an encrypted token (JWE), which Tessera does not accept.' : '';
    return fail('malformed', 'A signed JWT has exactly 3 parts separated by dots (header.claims.signature); this one has ' + parts.length + '.' + extra);
  }
  const decoded = parts.map(decodeBase64url);
  decoded.forEach((part, i) => {
    if (part === null) {
      result.problems.push(problem('bad_base64url', 'The ' + PART_NAMES[i] + ' part is not strict base64url (only A–Z, a–z, 0–9, "-" and "_", no "=" padding, no spaces).'));
    }
  });
  if (decoded[0] !== null) {
    const header = parseObject(decoded[0], 'header');
    if (header.value !== undefined) result.header = header.value;
    if (header.problem) result.problems.push(header.problem);
  }
  if (decoded[1] !== null) {
    const claims = parseObject(decoded[1], 'claims part');
    if (claims.value !== undefined) result.claims = claims.value;
    if (claims.problem) result.problems.push(claims.problem);
  }
  if (decoded[2] !== null) {
    result.signature = decoded[2];
    if (decoded[2].length === 0) result.problems.push(problem('no_signature', 'The signature part is empty: the token is unsigned. Tessera never accepts an unsigned token.'));
  }
  result.signingInput = new TextEncoder().encode(parts[0] + '.' + parts[1]);
  if (result.header === null || result.claims === null) result.fatal = true;
  return result;
}

/** The header checks of Tessera, in its order; an array of problems. */
export function headerProblems(header) {
  const out = [];
  const alg = header.alg;
  if (typeof alg !== 'string' || alg === '') {
    out.push(problem('bad_alg', 'The header has no "alg", so nothing says how it was signed.'));
  } else if (alg.toLowerCase() === 'none') {
    out.push(problem('alg_none', 'The header says alg "none": the token claims to need no signature. Tessera never accepts unsigned tokens.'));
  }
  const kid = header.kid;
  if (kid === undefined) {
    out.push(problem('bad_kid', 'The header has no "kid", so there is no way to pick the key that must verify it.'));
  } else if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    out.push(problem('bad_kid', 'The header\'s "kid" is not a short string.'));
  }
  for (const member of KEY_BEARING_MEMBERS) {
    if (Object.hasOwn(header, member)) {
      out.push(problem('embedded_key', 'The header carries "' + member + '": a key or a link to one, chosen by whoever made the token. Tessera verifies only with the keys it publishes itself, never with a key the token brings.'));
    }
  }
  if (Object.hasOwn(header, 'crit')) {
    out.push(problem('crit', 'The header has "crit": it demands extensions Tessera does not implement, so the token must be refused (RFC 7515 §4.1.11).'));
  }
  if (Object.hasOwn(header, 'b64')) {
    out.push(problem('b64', 'The header has "b64"' + (header.b64 === false ? ': false' : '') + ', which changes what the signature covers (RFC 7797). Tessera never issues such tokens and refuses them.'));
  }
  if (Object.hasOwn(header, 'enc') || Object.hasOwn(header, 'zip')) {
    out.push(problem('jwe', 'The header has "enc" or "zip": that belongs to an encrypted token (JWE), not a signed access token.'));
  }
  const typ = header.typ;
  const typOk = typeof typ === 'string' && typ.length <= 18 && (typ.toLowerCase() === 'at+jwt' || typ.toLowerCase() === 'application/at+jwt');
  if (!typOk) {
    const said = typ === undefined ? 'The header has no "typ"' : 'The header says typ ' + JSON.stringify(typ);
    out.push(problem('bad_typ', said + ', but an access token must say "at+jwt" (RFC 9068), so that an ID token or any other JWT signed by the same key cannot pass as one.'));
  }
  return out;
}

function nonEmptyString(v) {
  return typeof v === 'string' && v.length > 0;
}

/**
 * The claim checks of Tessera, in its order. `options`: issuer and audience (null: not
 * checked), nowSeconds, clockToleranceSeconds, maxTtlSeconds.
 */
export function claimProblems(claims, options) {
  const out = [];
  const tolerance = options.clockToleranceSeconds;
  const now = options.nowSeconds;
  if (typeof claims.iss !== 'string') out.push(problem('bad_iss', 'The claims have no "iss" (issuer).'));
  else if (options.issuer && claims.iss !== options.issuer) out.push(problem('bad_iss', 'The issuer is ' + JSON.stringify(claims.iss) + ', but this server issues tokens as ' + JSON.stringify(options.issuer) + '.'));
  const aud = claims.aud;
  if (Array.isArray(aud) ? aud.length === 0 || !aud.every(nonEmptyString) : !nonEmptyString(aud)) {
    out.push(problem('bad_aud', 'The claims have no valid "aud" (audience).'));
  } else if (options.audience && (typeof aud === 'string' ? aud !== options.audience : !aud.includes(options.audience))) {
    out.push(problem('bad_aud', 'The audience is ' + JSON.stringify(aud) + ', not ' + JSON.stringify(options.audience) + '.'));
  }
  for (const name of ['sub', 'sid', 'jti', 'client_id']) {
    if (!nonEmptyString(claims[name])) out.push(problem('bad_claim', 'The claim "' + name + '" is missing or not a string.'));
  }
  for (const name of ['iat', 'exp']) {
    if (!Number.isSafeInteger(claims[name])) out.push(problem('bad_claim', 'The claim "' + name + '" is missing or not a whole number of seconds.'));
  }
  if (claims.nbf !== undefined && !Number.isSafeInteger(claims.nbf)) out.push(problem('bad_claim', 'The claim "nbf" is not a whole number of seconds.'));
  const { iat, exp, nbf } = claims;
  if (Number.isSafeInteger(iat) && Number.isSafeInteger(exp)) {
    if (exp <= iat) out.push(problem('bad_claim', 'The token expires ("exp") before it was issued ("iat").'));
    if (iat > now + tolerance) out.push(problem('issued_in_future', 'The token says it was issued ' + (iat - now) + ' s in the future ("iat"), beyond the ' + tolerance + ' s allowed for clock skew.'));
    if (Number.isSafeInteger(nbf) && nbf > now + tolerance) out.push(problem('not_yet_valid', 'The token is not valid yet: its "nbf" is ' + (nbf - now) + ' s from now (' + tolerance + ' s of clock skew allowed).'));
    if (exp - iat > options.maxTtlSeconds) out.push(problem('ttl_too_long', 'The token claims to live ' + (exp - iat) + ' s ("exp" − "iat"), longer than this server\'s access-token lifetime of ' + options.maxTtlSeconds + ' s: a far-future expiry is refused, not trusted.'));
    if (exp <= now - tolerance) out.push(problem('expired', 'The token expired ' + (now - exp) + ' s ago ("exp"; ' + tolerance + ' s of clock skew allowed).'));
  }
  return out;
}

// ---- Signatures -----------------------------------------------------------------------

/** The algorithm a JWK is for: its own "alg", or what its type implies. */
export function keyAlgorithm(jwk) {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'RSA') return 'RS256';
  return null;
}

/** WebCrypto parameters for importing and verifying with a public JWK of `alg`. */
function webCryptoParams(alg, jwk) {
  switch (alg) {
    case 'EdDSA':
      return { jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, importAlg: { name: 'Ed25519' }, verifyAlg: { name: 'Ed25519' } };
    case 'ES256':
      return { jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, importAlg: { name: 'ECDSA', namedCurve: 'P-256' }, verifyAlg: { name: 'ECDSA', hash: 'SHA-256' }, signatureLength: 64 };
    case 'RS256':
      return { jwk: { kty: 'RSA', n: jwk.n, e: jwk.e }, importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verifyAlg: { name: 'RSASSA-PKCS1-v1_5' } };
    default:
      return null;
  }
}

/**
 * Verifies `signature` over `data` with a public JWK. Resolves to 'valid', 'invalid' or
 * 'unsupported' (an algorithm this browser or the JWKS cannot verify).
 */
export async function verifySignature(alg, jwk, data, signature, subtle) {
  const params = webCryptoParams(alg, jwk);
  if (params === null) return 'unsupported';
  // ES256 in JWS is the raw r||s pair (64 bytes), which is what WebCrypto expects too.
  if (params.signatureLength !== undefined && signature.length !== params.signatureLength) return 'invalid';
  let key;
  try {
    key = await subtle.importKey('jwk', { ...params.jwk, ext: true }, params.importAlg, false, ['verify']);
  } catch {
    return 'unsupported';
  }
  try {
    return (await subtle.verify(params.verifyAlg, key, signature, data)) ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}

// ---- The whole check ------------------------------------------------------------------

/**
 * Inspects a token. `options`: { findKey(kid) → Promise<jwk | undefined>, issuer, audience,
 * nowSeconds, clockToleranceSeconds, maxTtlSeconds, subtle }.
 * Resolves to { header, claims, problems, signature: 'valid' | 'invalid' | 'not-checked' |
 * 'unsupported', key, valid, expiresInSeconds }.
 */
export async function inspectToken(input, options) {
  const decoded = decodeToken(input);
  const out = {
    header: decoded.header,
    claims: decoded.claims,
    problems: decoded.problems.slice(),
    signature: 'not-checked',
    key: null,
    valid: false,
    expiresInSeconds: null,
  };
  if (decoded.claims !== null && Number.isSafeInteger(decoded.claims.exp)) out.expiresInSeconds = decoded.claims.exp - options.nowSeconds;
  if (decoded.fatal) return out;

  out.problems.push(...headerProblems(decoded.header));
  const kid = decoded.header.kid;
  const alg = decoded.header.alg;
  if (typeof kid === 'string' && kid.length > 0 && kid.length <= MAX_KID_LENGTH && decoded.signature !== null) {
    const jwk = await options.findKey(kid);
    if (jwk === undefined || jwk === null) {
      const hint = alg === 'HS256' ? ' HS256 keys are shared secrets and are never published, so no third party can verify such a token.' : ' It was not signed by this server, or its key has been retired.';
      out.problems.push(problem('unknown_kid', 'The server\'s JWKS has no key with kid ' + JSON.stringify(kid) + '.' + hint));
    } else {
      out.key = { kid: kid, alg: keyAlgorithm(jwk) };
      if (alg !== out.key.alg) {
        out.problems.push(problem('alg_mismatch', 'The header says alg ' + JSON.stringify(alg) + ', but key ' + JSON.stringify(kid) + ' is for ' + out.key.alg + '. Each key verifies one algorithm only: letting the header choose is the classic algorithm-confusion attack.'));
      } else if (decoded.signature.length > 0) {
        out.signature = await verifySignature(alg, jwk, decoded.signingInput, decoded.signature, options.subtle);
        if (out.signature === 'invalid') {
          out.problems.push(problem('bad_signature', 'The signature does not match the header and claims: the token was changed after it was signed, or signed with another key.'));
        } else if (out.signature === 'unsupported') {
          out.problems.push(problem('unsupported', 'This browser cannot verify ' + alg + ' signatures with WebCrypto, so the token cannot be checked here.'));
        }
      }
    }
  }
  out.problems.push(...claimProblems(decoded.claims, options));
  out.valid = out.problems.length === 0 && out.signature === 'valid';
  return out;
}

// ---- The server's keys ----------------------------------------------------------------

let jwksCache = null;

async function fetchJwks() {
  const response = await fetch('/.well-known/jwks.json', { headers: { Accept: 'application/json' }, credentials: 'omit' });
  if (!response.ok) throw new Error('The public keys could not be loaded (HTTP ' + response.status + ').');
  const data = await response.json();
  const keys = data !== null && typeof data === 'object' && Array.isArray(data.keys) ? data.keys : [];
  return { keys: keys.filter((k) => k !== null && typeof k === 'object' && typeof k.kid === 'string'), at: Date.now() };
}

/**
 * Finds a published key by kid: from the cached JWKS (30 s, like the server's Cache-Control),
 * re-fetched once when the kid is unknown (a key published after the last fetch).
 */
export async function findServerKey(kid) {
  if (jwksCache === null || Date.now() - jwksCache.at > 30000) jwksCache = await fetchJwks();
  let key = jwksCache.keys.find((k) => k.kid === kid);
  if (key === undefined && Date.now() - jwksCache.at > 1000) {
    jwksCache = await fetchJwks();
    key = jwksCache.keys.find((k) => k.kid === kid);
  }
  return key;
}

import { BoundedMap } from '../bounded-map.js';
import { decodeBase64url } from '../crypto/base64url.js';
import { parseJsonObject } from './json-object.js';
import type { JsonObject } from './json-object.js';
import { refuse } from './refusal.js';

/**
 * Strict parsing of a JWS in compact serialisation (RFC 7515 §7.1). It checks structure only:
 * it neither verifies the signature nor trusts any member, and refuses every header feature
 * Tessera does not implement, rather than ignoring it.
 */

/** The longest compact JWS accepted, checked before any other work (bounds parsing cost). */
export const MAX_COMPACT_JWS_BYTES = 8192;

/** The longest `kid` accepted. Ours are 43 characters; the cap only bounds hostile input. */
export const MAX_KID_LENGTH = 256;

/**
 * Header members that name or carry a verification key. Trusting them lets the token choose
 * its own key (CVE-2018-0114 class for `jwk`; SSRF and key injection for `jku`/`x5u`), and
 * Tessera only verifies with keys from its own key ring.
 */
const KEY_BEARING_MEMBERS: readonly string[] = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'];

/** A parsed JOSE protected header: `alg` checked to be a string, `kid` a bounded string. */
export interface JoseHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly typ?: unknown;
  readonly [member: string]: unknown;
}

/** A structurally valid compact JWS, signature not yet verified. */
export interface ParsedJws {
  readonly header: JoseHeader;
  /** The claims: untrusted until the signature over {@link ParsedJws.signingInput} is verified. */
  readonly payload: JsonObject;
  /** The ASCII bytes of `<header>.<payload>`: what the signature covers (RFC 7515 §5.1 step 5). */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

/**
 * Parses a compact JWS. Throws `TesseraError('unauthorized')` (reason on `cause`, see
 * `refusalReason`) for: a non-string; more than {@link MAX_COMPACT_JWS_BYTES}; other than
 * exactly three parts (JWE has five); a part that is not strict unpadded base64url; a header
 * or payload that is not a JSON object, has duplicate or `__proto__`-like members; a header
 * without a string `alg`, with a bad `kid`, or with `jwk`/`jku`/`x5u`/`x5c`/`x5t`/`x5t#S256`,
 * `crit`, `b64`, `zip` or `enc`; an empty signature.
 */
export function parseCompactJws(token: unknown, knownHeaders?: KnownHeaders): ParsedJws {
  if (typeof token !== 'string') throw refuse('not_a_string');
  // A longer string is refused before it is even scanned. Every valid token is ASCII, so
  // its length in UTF-16 code units is its length in bytes.
  if (token.length > MAX_COMPACT_JWS_BYTES) throw refuse('too_large');

  const firstDot = token.indexOf('.');
  const secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
  if (secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) throw refuse('malformed');

  // A header met before in a token whose signature verified is the same text, so the same
  // checked object: its decoding and checks are skipped; everything else is done as for any.
  const headerText = token.slice(0, firstDot);
  const known = knownHeaders?.get(headerText);
  const headerBytes = known === undefined ? decodeBase64url(headerText) : null;
  const payloadBytes = decodeBase64url(token.slice(firstDot + 1, secondDot));
  const signature = decodeBase64url(token.slice(secondDot + 1));
  if ((known === undefined && headerBytes === null) || payloadBytes === null || signature === null) throw refuse('bad_base64url');
  // An empty signature is the unsecured JWS of RFC 7515 §A.5: never acceptable here.
  if (signature.length === 0) throw refuse('bad_signature');

  const header = known ?? checkHeader(parseJsonObject(headerBytes!));
  const payload = parseJsonObject(payloadBytes);
  return { header, payload, signingInput: Buffer.from(token.slice(0, secondDot), 'latin1'), signature };
}

/**
 * Protected headers already parsed and checked, by their exact base64url text (the first part
 * of a compact JWS). Only headers of tokens whose signature verified with one of our keys are
 * added, so a stranger cannot fill it; and a hit skips parsing only, never a check of the token.
 */
export class KnownHeaders {
  readonly #byText: BoundedMap<string, JoseHeader>;
  // The header found last, compared in full before the Map is asked: nearly every token
  // carries the current key's header, and the Map would hash each token's new header string
  // (about 1,800 instructions for ~100 characters, bench:verify-instructions).
  #lastText = '';
  #lastHeader: JoseHeader | undefined;

  /** `max`: how many headers are kept (a key ring signs one header per key), and the last one found; the oldest go first. */
  constructor(max = 64) {
    this.#byText = new BoundedMap(max);
  }

  get(text: string): JoseHeader | undefined {
    if (text === this.#lastText) return this.#lastHeader;
    const header = this.#byText.get(text);
    if (header !== undefined) {
      this.#lastText = text;
      this.#lastHeader = header;
    }
    return header;
  }

  /** Remembers the checked `header` of a verified token whose first part is `text`. */
  remember(text: string, header: JoseHeader): void {
    this.#byText.set(text, Object.freeze({ ...header }));
  }
}

/** Applies the header rules of {@link parseCompactJws}. */
function checkHeader(header: JsonObject): JoseHeader {
  if (typeof header.alg !== 'string' || header.alg.length === 0) throw refuse('bad_alg');
  const kid = header.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH)) {
    throw refuse('bad_kid');
  }
  for (const member of KEY_BEARING_MEMBERS) {
    if (Object.hasOwn(header, member)) throw refuse('embedded_key');
  }
  // RFC 7515 §4.1.11: a recipient must refuse a `crit` naming an extension it does not
  // understand. We understand none, and an empty `crit` is itself invalid, so any is refused.
  if (Object.hasOwn(header, 'crit')) throw refuse('crit');
  // RFC 7797: `b64: false` changes what the signature covers; we never produce it.
  if (Object.hasOwn(header, 'b64')) throw refuse('b64');
  // `enc`/`zip` belong to JWE (RFC 7516 §4.1.2-3): an encrypted token is not a JWS.
  if (Object.hasOwn(header, 'enc') || Object.hasOwn(header, 'zip')) throw refuse('jwe');
  return header as JoseHeader;
}

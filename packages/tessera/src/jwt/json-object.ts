import { refuse } from './refusal.js';

/**
 * Strict parsing of the JSON objects of a JWS (the protected header and the claims).
 *
 * `JSON.parse` keeps the last of duplicate members, while other parsers keep the first: a
 * token `{"sub":"alice","sub":"admin"}` then means different things to different verifiers.
 * RFC 7515 §5.2 step 4 and RFC 7519 §4 allow refusing such input, and we do. A reviver cannot
 * see duplicates, so the top-level member names are scanned separately, after `JSON.parse`
 * has proved the text well-formed (the scanner can then stay small).
 */

/** A parsed JSON object with only own, data-valued members. */
export type JsonObject = Record<string, unknown>;

/**
 * Names refused as own members: merging a parsed object into another (`Object.assign`,
 * spread into a class, lodash `merge`) through them is the prototype-pollution class
 * (e.g. CVE-2019-10744), and no JOSE header or claim uses them.
 */
const FORBIDDEN_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

// fatal: invalid UTF-8 is refused rather than replaced with U+FFFD (RFC 7515 §5.2 step 3/5).
// ignoreBOM: a BOM is kept, so JSON.parse refuses it instead of it being silently dropped.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses `bytes` as a UTF-8 JSON object. Throws a refusal on invalid UTF-8 or JSON
 * (`bad_json`), a non-object (`not_an_object`), a duplicate top-level member
 * (`duplicate_member`) or a `__proto__`/`constructor`/`prototype` member (`forbidden_member`).
 */
export function parseJsonObject(bytes: Uint8Array): JsonObject {
  let text: string;
  let value: unknown;
  try {
    text = UTF8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw refuse('bad_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refuse('not_an_object');
  // JSON.parse keeps every name as an own property, `__proto__` included (decoded, so escapes
  // cannot hide it); and a duplicate leaves fewer keys than the text has members. Only then
  // are the names themselves compared, to name the refusal.
  for (const name of FORBIDDEN_NAMES) if (Object.hasOwn(value, name)) throw refuse('forbidden_member');
  if (countMembers(text) !== Object.keys(value).length) checkMemberNames(text);
  return value as JsonObject;
}

/** The number of top-level members of `text`, known to be a well-formed JSON object. */
function countMembers(text: string): number {
  let depth = 0;
  let commas = 0;
  let empty = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (depth === 1) empty = false;
      i = endOfString(text, i) - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth === 1) empty = false;
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COMMA && depth === 1) {
      commas++;
    }
  }
  return empty ? 0 : commas + 1;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * Walks the top level of `text`, known to be a well-formed JSON object, and refuses duplicate
 * or forbidden member names. Names are compared after unescaping, so `"\u0061lg"` and `"alg"`
 * are the same member.
 */
function checkMemberNames(text: string): void {
  const seen = new Set<string>();
  let i = skipWhitespace(text, text.indexOf('{') + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return;
  for (;;) {
    // At a member name.
    const nameEnd = endOfString(text, i);
    const raw = text.slice(i, nameEnd);
    // Only names with escapes need decoding; JSON.parse of a proven-valid literal cannot throw.
    const name = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
    if (FORBIDDEN_NAMES.has(name)) throw refuse('forbidden_member');
    if (seen.has(name)) throw refuse('duplicate_member');
    seen.add(name);
    // Past the colon, skip the value.
    i = skipWhitespace(text, text.indexOf(':', nameEnd) + 1);
    i = skipWhitespace(text, endOfValue(text, i));
    if (text.charCodeAt(i) !== COMMA) return; // the closing brace
    i = skipWhitespace(text, i + 1);
  }
}

/**
 * Index just past the string literal starting at `start` (which is a quote). The next quote
 * is found with `indexOf` (a vectorised search, where a loop over the characters was most of
 * the 7,600 instructions of parsing a token's claims: bench:verify-instructions); it closes
 * the string unless an odd number of backslashes stands right before it.
 */
function endOfString(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) throw refuse('bad_json'); // not well-formed after all: see guardedCharAt
    // The opening quote at `start` is not a backslash, so this stops inside the literal.
    let before = quote - 1;
    while (text.charCodeAt(before) === BACKSLASH) before--;
    if ((quote - 1 - before) % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Index just past the JSON value starting at `start`. */
function endOfValue(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return endOfString(text, start);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number or a literal: it ends at the first delimiter.
    let i = start;
    for (;;) {
      const c = guardedCharAt(text, i);
      if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isWhitespace(c)) return i;
      i++;
    }
  }
  let depth = 0;
  let i = start;
  for (;;) {
    const c = guardedCharAt(text, i);
    if (c === QUOTE) {
      i = endOfString(text, i);
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
}

/**
 * The code unit at `i`. The text is well-formed JSON, so the end is never reached; the guard
 * only turns a scanner bug into a refusal rather than an endless loop.
 */
function guardedCharAt(text: string, i: number): number {
  if (i >= text.length) throw refuse('bad_json');
  return text.charCodeAt(i);
}

function isWhitespace(c: number): boolean {
  // RFC 8259 §2: space, tab, line feed, carriage return.
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function skipWhitespace(text: string, start: number): number {
  let i = start;
  while (isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

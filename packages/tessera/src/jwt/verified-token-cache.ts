import { BoundedMap } from '../bounded-map.js';
import type { AccessTokenClaims } from './access-token.js';

/** A verified token and its claims: what a slot of the cache holds. */
interface Entry {
  readonly token: string;
  readonly claims: AccessTokenClaims;
}

/** How many characters at the end of a token choose its slot (see `slotOf`). */
const SLOT_CHARACTERS = 8;

/**
 * The slot of a token: FNV-1a over its last characters, which are signature characters in
 * any token that can be in the cache (only verified tokens are stored), so they are
 * uniformly distributed. Why not let the Map hash the token itself: V8 hashes every
 * character of a string that is new to it, and each request's token is a new string: 5,500
 * instructions for a 320-character EdDSA token, 5.5 % of a seen-token `GET /auth/me` in
 * `tessera serve` (bench/instructions.ts); eight characters cost about 50.
 */
export function slotOf(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - SLOT_CHARACTERS); i < token.length; i++) {
    hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  }
  // A small integer: V8 keys a Map with it without allocating.
  return hash & 0x3fffffff;
}

/**
 * Claims of access tokens whose signature and claims were verified, keyed on the FULL token
 * string, so that a token seen before skips the signature check (the dominant cost: ~90 µs
 * for Ed25519). Safety rests on three rules the caller keeps:
 * - the key is the whole token: a hit needs the token to equal, character for character, one
 *   that was verified, so a tampered or re-encoded token never hits. The slot a token is
 *   looked up in is chosen from its last characters (`slotOf`), as any hash table chooses a
 *   bucket from a hash; the slot holds the whole verified token, compared in full;
 * - `exp` is checked again on every hit (an entry never outlives its token);
 * - the revocation view is consulted on every request, cached or not.
 * The cache is cleared whenever the key ring changes (a retired key's tokens must re-verify).
 *
 * Two verified tokens that share a slot (about one pair in 10^5 insertions with 10,000
 * entries, or a client that chooses signatures, which only a key holder can) take turns: the
 * newer replaces the older, which is verified again at its next use. That costs a miss,
 * never a wrong hit.
 *
 * Eviction is oldest-inserted first: every access token has the same lifetime, so insertion
 * order is expiry order and the oldest entry is the next to expire anyway ({@link BoundedMap}:
 * O(1) per insertion, without a dependency).
 *
 * Admission ({@link VerifiedTokenCache.admit}) is on a token's second verification: the first
 * only marks its slot in a table of numbers (a doorkeeper, as in TinyLFU). A token used once
 * (a stream of new tokens, each client asking once) never enters the cache, so it neither
 * evicts the tokens that are used again nor outlives its request: 10,000 cached tokens and
 * claims that each live for the next 10,000 new ones are promoted to V8's old generation,
 * whose collections cost `tessera serve` 3 % of its never-seen-token req/s (5,609 req/s
 * admitting on the second verification, 5,445 storing every token: medians of 7 interleaved
 * rounds of `GET /auth/me`). A token used again pays one more verification, once.
 */
export class VerifiedTokenCache {
  readonly #entries: BoundedMap<number, Entry>;
  /** Marks of slots verified once and not stored, indexed by the slot's low bits (0: none). */
  readonly #seenOnce: Uint32Array;

  constructor(maxEntries: number) {
    this.#entries = new BoundedMap(maxEntries);
    // A power of two at least as large as the cache (64 KiB for 10,000 entries).
    this.#seenOnce = new Uint32Array(maxEntries > 0 ? 2 ** Math.ceil(Math.log2(maxEntries)) : 0);
  }

  /**
   * The cached claims if the token was verified before and every time check still passes at
   * `nowSeconds`: not expired, and neither `iat` nor `nbf` in the future (after the clock was
   * stepped back, a token verified "later" must be verified again, and is then refused).
   */
  get(token: string, nowSeconds: number, clockToleranceSeconds: number): AccessTokenClaims | undefined {
    // Callers may pass what a client sent, unchecked (the remote verifier does): not a string, not cached.
    if (typeof token !== 'string') return undefined;
    const slot = slotOf(token);
    const entry = this.#entries.get(slot);
    if (entry === undefined || entry.token !== token) return undefined;
    const { claims } = entry;
    if (
      claims.exp <= nowSeconds - clockToleranceSeconds ||
      claims.iat > nowSeconds + clockToleranceSeconds ||
      (claims.nbf !== undefined && claims.nbf > nowSeconds + clockToleranceSeconds)
    ) {
      this.#entries.delete(slot);
      return undefined;
    }
    return claims;
  }

  /**
   * Offers a token just verified: stored if its slot was marked by an earlier verification,
   * else only marked. A mark is a hash, not a token: two tokens with one mark (or a mark
   * overwritten by another slot's) only change when a token is stored, never what a hit needs
   * (the whole token, compared in full).
   */
  admit(token: string, claims: AccessTokenClaims): void {
    const table = this.#seenOnce;
    if (table.length === 0) return;
    const slot = slotOf(token);
    // Slots are 30-bit: bit 30 set tells a mark from an empty place.
    const mark = slot | 0x40000000;
    const at = slot & (table.length - 1);
    if (table[at] !== mark) {
      table[at] = mark;
      return;
    }
    table[at] = 0;
    this.#entries.set(slot, { token, claims });
  }

  clear(): void {
    this.#entries.clear();
    this.#seenOnce.fill(0);
  }

  get size(): number {
    return this.#entries.size;
  }
}

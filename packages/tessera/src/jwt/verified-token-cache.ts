import { BoundedMap } from '../bounded-map.js';
import type { AccessTokenClaims } from './access-token.js';

/**
 * Claims of access tokens whose signature and claims were verified, keyed on the FULL token
 * string, so that a token seen before skips the signature check (the dominant cost: ~90 µs
 * for Ed25519). Safety rests on three rules the caller keeps:
 * - the key is the whole token: a tampered or re-encoded token never hits;
 * - `exp` is checked again on every hit (an entry never outlives its token);
 * - the revocation view is consulted on every request, cached or not.
 * The cache is cleared whenever the key ring changes (a retired key's tokens must re-verify).
 *
 * Eviction is oldest-inserted first: every access token has the same lifetime, so insertion
 * order is expiry order and the oldest entry is the next to expire anyway ({@link BoundedMap}:
 * O(1) per insertion, without a dependency).
 */
export class VerifiedTokenCache {
  readonly #entries: BoundedMap<string, AccessTokenClaims>;

  constructor(maxEntries: number) {
    this.#entries = new BoundedMap(maxEntries);
  }

  /**
   * The cached claims if the token was verified before and every time check still passes at
   * `nowSeconds`: not expired, and neither `iat` nor `nbf` in the future (after the clock was
   * stepped back, a token verified "later" must be verified again, and is then refused).
   */
  get(token: string, nowSeconds: number, clockToleranceSeconds: number): AccessTokenClaims | undefined {
    const claims = this.#entries.get(token);
    if (claims === undefined) return undefined;
    if (
      claims.exp <= nowSeconds - clockToleranceSeconds ||
      claims.iat > nowSeconds + clockToleranceSeconds ||
      (claims.nbf !== undefined && claims.nbf > nowSeconds + clockToleranceSeconds)
    ) {
      this.#entries.delete(token);
      return undefined;
    }
    return claims;
  }

  set(token: string, claims: AccessTokenClaims): void {
    this.#entries.set(token, claims);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

import { BoundedMap } from './bounded-map.js';

/**
 * A bounded map whose entries live at most `maxAgeMs`: what the hot path keeps of recent
 * store reads (verified session records, users), so a busy session costs one store read per
 * interval per instance instead of one per request. Eviction is oldest-inserted first.
 *
 * What a cache may skip and what it may not is the caller's rule, written where it is used
 * (see authenticate.ts): keys are whole credentials, never parts of them; expiry and the
 * revocation view are checked on every hit.
 */
export class RecentCache<V> {
  readonly #entries: BoundedMap<string, { value: V; cachedAt: number }>;
  readonly #maxAgeMs: number;

  constructor(maxEntries: number, maxAgeMs: number) {
    // A cache that keeps nothing (max age 0, the session cache's default) holds no ring either.
    this.#entries = new BoundedMap(maxAgeMs > 0 ? maxEntries : 0);
    this.#maxAgeMs = maxAgeMs;
  }

  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.cachedAt >= this.#maxAgeMs || now < entry.cachedAt) {
      // Too old, or the clock went back: read the store again.
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, now: number): void {
    this.#entries.set(key, { value, cachedAt: now });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

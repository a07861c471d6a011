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
  readonly #entries = new Map<string, { value: V; cachedAt: number }>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;

  constructor(maxEntries: number, maxAgeMs: number) {
    this.#maxEntries = maxEntries;
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
    if (this.#maxEntries <= 0 || this.#maxAgeMs <= 0) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
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

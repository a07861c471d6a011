/**
 * A Map of at most `maxEntries` entries that evicts the oldest-inserted first: what the
 * request-path caches (verified tokens, recent store reads) are built on.
 *
 * The insertion order is kept in a ring of keys, not taken from the Map: a Map that has one
 * entry deleted from its front for every one added keeps the deleted slots until it is
 * rehashed, and `keys().next()` walks over all of them. Measured with 10,000 token-sized
 * keys: about 5 µs per insertion that way, 0.09 µs with the ring.
 *
 * A key set again, or deleted and set again, keeps its older ring slot too: when that slot
 * comes round, the entry goes a little early. For a cache that only costs a miss.
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #ring: Array<K | undefined>;
  #next = 0;

  constructor(maxEntries: number) {
    this.#ring = new Array<K | undefined>(Math.max(0, maxEntries));
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    const ring = this.#ring;
    if (ring.length === 0) return;
    const evicted = ring[this.#next];
    if (evicted !== undefined) this.#entries.delete(evicted);
    ring[this.#next] = key;
    this.#next = (this.#next + 1) % ring.length;
    this.#entries.set(key, value);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#ring.fill(undefined);
    this.#next = 0;
  }

  get size(): number {
    return this.#entries.size;
  }
}

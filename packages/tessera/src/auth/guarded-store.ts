import { TesseraError } from '../errors.js';
import type { Store } from '../stores/types.js';

/** Told of every store call: the contract method, how long it took, and whether the store answered. */
export type StoreObserver = (op: string, seconds: number, ok: boolean) => void;

/**
 * Wraps a store so that any failure that is not a deliberate TesseraError (a lost
 * connection, a timeout, a locked database) becomes `unavailable` (503 with Retry-After).
 * "Could not check" must never read as "not found" (logged out) or, worse, as success.
 *
 * With an `observe` callback every call is also timed (two `performance.now()` reads, so the
 * request path pays well under a microsecond); a deliberate TesseraError counts as answered.
 */
export function guardStore(store: Store, retryAfterSeconds = 1, observe?: StoreObserver, onFailure?: () => void): Store {
  const guarded = {} as Record<string, unknown>;
  const target = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const translate = (error: unknown): TesseraError => {
    if (error instanceof TesseraError) return error;
    onFailure?.();
    return new TesseraError('unavailable', { retryAfterSeconds, cause: error });
  };
  for (const key of methodNames(store)) {
    // Looked up at call time, so a store whose methods are replaced (instrumented) stays guarded.
    guarded[key] = observe
      ? async (...args: unknown[]) => {
        const started = performance.now();
        let ok = true;
        try {
          return await target[key]!(...args);
        } catch (error) {
          ok = error instanceof TesseraError;
          throw translate(error);
        } finally {
          observe(key, (performance.now() - started) / 1000, ok);
        }
      }
      : async (...args: unknown[]) => {
        try {
          return await target[key]!(...args);
        } catch (error) {
          throw translate(error);
        }
      };
  }
  // Optional methods stay absent when the store lacks them (callers test for them).
  return guarded as unknown as Store;
}

/**
 * A short, fixed name for a store's kind, for metric labels: the class name without its
 * `Store` suffix, lower-cased (`SqliteStore` → `sqlite`); `custom` when there is none.
 */
export function storeKind(store: Store): string {
  const name = (store as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== 'string' || name === '' || name === 'Object') return 'custom';
  const kind = name.replace(/Store$/, '').toLowerCase();
  return /^[a-z0-9_]{1,32}$/.test(kind) ? kind : 'custom';
}

function methodNames(store: Store): string[] {
  const names = new Set<string>();
  for (let proto: object | null = store; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof (store as unknown as Record<string, unknown>)[name] === 'function') names.add(name);
    }
  }
  return [...names];
}

import { TesseraError } from '../errors.js';
import type { Store } from '../stores/types.js';

/**
 * Wraps a store so that any failure that is not a deliberate TesseraError (a lost
 * connection, a timeout, a locked database) becomes `unavailable` (503 with Retry-After).
 * "Could not check" must never read as "not found" (logged out) or, worse, as success.
 */
export function guardStore(store: Store, retryAfterSeconds = 1): Store {
  const guarded = {} as Record<string, unknown>;
  const target = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const key of methodNames(store)) {
    // Looked up at call time, so a store whose methods are replaced (instrumented) stays guarded.
    guarded[key] = async (...args: unknown[]) => {
      try {
        return await target[key]!(...args);
      } catch (error) {
        if (error instanceof TesseraError) throw error;
        throw new TesseraError('unavailable', { retryAfterSeconds, cause: error });
      }
    };
  }
  // Optional methods stay absent when the store lacks them (callers test for them).
  return guarded as unknown as Store;
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

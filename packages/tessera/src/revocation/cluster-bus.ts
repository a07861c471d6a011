import type { RevocationEntry } from '../stores/types.js';

/**
 * What travels on a {@link ClusterBus}: revocation feed entries to apply at once, or word
 * that the signing keys changed (reload the key ring).
 *
 * @example
 * ```ts
 * import type { ClusterMessage } from 'tessera'
 *
 * function describeMessage(message: ClusterMessage): string {
 *   return message.type === 'keys_changed' ? 'reload the key ring' : `${message.entries.length} revocations`
 * }
 * ```
 */
export type ClusterMessage =
  | { type: 'revocations'; entries: RevocationEntry[] }
  | { type: 'keys_changed' };

/**
 * How instances of one deployment tell each other what changed, so a revocation made on one
 * is enforced on all within milliseconds and a key rotation reaches every key ring before the
 * new key signs. Delivery is best effort: every instance also catches up from the durable
 * revocation feed and reloads its keys periodically, so a lost message only delays.
 * Implementations: in-process (none needed), Redis pub/sub, PostgreSQL LISTEN/NOTIFY.
 *
 * @example
 * ```ts
 * import { createTessera } from 'tessera'
 * import type { ClusterBus, ClusterMessage } from 'tessera'
 *
 * // Two instances in one process (a test) sharing a bus.
 * const listeners = new Set<(message: ClusterMessage) => void>()
 * const bus: ClusterBus = {
 *   async publish(message) { for (const listener of listeners) listener(message) },
 *   async subscribe(listener) {
 *     listeners.add(listener)
 *     return async () => { listeners.delete(listener) }
 *   },
 * }
 * const a = await createTessera({ store, issuer: 'http://localhost:3000', clusterBus: bus })
 * const b = await createTessera({ store, issuer: 'http://localhost:3000', clusterBus: bus })
 * ```
 */
export interface ClusterBus {
  /** Sends a message to every instance (including, possibly, this one). */
  publish(message: ClusterMessage): Promise<void>;
  /** Delivers every message to `listener` until the returned function is called. */
  subscribe(listener: (message: ClusterMessage) => void): Promise<() => Promise<void>>;
}

const KINDS = new Set(['session', 'user', 'jti']);

/**
 * Parses a message received from the bus. The bus is inside the trust boundary, but a
 * malformed message (another version, a stray publisher) is dropped rather than trusted.
 */
export function parseClusterMessage(text: string): ClusterMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as { type?: unknown; entries?: unknown };
  if (m.type === 'keys_changed') return { type: 'keys_changed' };
  if (m.type !== 'revocations' || !Array.isArray(m.entries)) return undefined;
  const entries: RevocationEntry[] = [];
  for (const e of m.entries as Array<Record<string, unknown>>) {
    if (typeof e !== 'object' || e === null) return undefined;
    const { seq, kind, subject, at, expiresAt } = e;
    if (typeof kind !== 'string' || !KINDS.has(kind) || typeof subject !== 'string' || typeof at !== 'number' || typeof expiresAt !== 'number') return undefined;
    entries.push({ seq: typeof seq === 'number' ? seq : 0, kind: kind as RevocationEntry['kind'], subject, at, expiresAt });
  }
  return { type: 'revocations', entries };
}

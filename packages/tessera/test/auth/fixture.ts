import { createTessera, ManualClock } from '../../src/index.js';
import type { ClusterBus, ClusterMessage, Tessera, TesseraEvent, TesseraOptions } from '../../src/index.js';
import { createArgon2Hasher } from '../../src/password/password-hasher.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import type { MemoryStore } from '../../src/stores/memory.js';

export const PASSWORD = 'correct horse battery staple';
export const CLIENT = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' };

export interface Fixture {
  auth: Tessera;
  store: MemoryStore;
  clock: ManualClock;
  events: TesseraEvent[];
}

/** A Tessera on a memory store with a manual clock and cheap argon2 parameters. */
export async function makeTessera(overrides: Partial<TesseraOptions> = {}, shared?: { store: MemoryStore; clock: ManualClock }): Promise<Fixture> {
  const store = shared?.store ?? createMemoryStore();
  const clock = shared?.clock ?? new ManualClock();
  if (!shared) await store.migrate();
  const events: TesseraEvent[] = [];
  const auth = await createTessera({
    store,
    clock,
    issuer: 'https://auth.example.com',
    passwordHasher: createArgon2Hasher({ memoryKiB: 1024, timeCost: 1 }),
    onEvent: (e) => events.push(e),
    // Tests drive catch-up explicitly.
    revocationCatchUpIntervalMs: 3_600_000,
    ...overrides,
  });
  return { auth, store, clock, events };
}

/** Registers a user and signs in; returns the credential headers for `authenticate`. */
export async function signedIn(f: Fixture, mode: 'session' | 'jwt', email = `u${Math.random().toString(36).slice(2)}@example.com`) {
  const user = await f.auth.register({ email, password: PASSWORD });
  const result = await f.auth.signIn({ email, password: PASSWORD, mode }, CLIENT);
  if (result.mode === 'session') {
    return { user, result, headers: { cookie: `${f.auth.cookieNames.session}=${result.sessionToken}` }, sessionId: result.session.id, refreshToken: '' };
  }
  return { user, result, headers: { authorization: `Bearer ${result.accessToken}` }, sessionId: result.sessionId, refreshToken: result.refreshToken };
}

/**
 * An in-process cluster bus: every instance built with `bus()` hears every message at once
 * (synchronously, inside `publish`), as Redis pub/sub or LISTEN/NOTIFY would a moment later.
 */
export function memoryBus(): () => ClusterBus {
  const listeners = new Set<(message: ClusterMessage) => void>();
  return () => ({
    async publish(message) {
      for (const listener of listeners) listener(JSON.parse(JSON.stringify(message)) as ClusterMessage);
    },
    async subscribe(listener) {
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
      };
    },
  });
}

import type { EndSessionsRequest, SessionRecord, SigningKeyRecord, Store, UserRecord } from '../../src/stores/types.js';

/** Fixtures shared by the parts of the store conformance suite. */

export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;

/** Returns the store of the running test (a fresh, migrated one per test). */
export type CurrentStore = () => Store;

export function makeUser(n: number, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: `user-${n}`,
    email: `User${n}@Example.com`,
    emailNormalized: `user${n}@example.com`,
    passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$c2FsdC0${n}$aGFzaC0${n}`,
    createdAt: T0,
    disabledAt: null,
    emailVerifiedAt: null,
    ...overrides,
  };
}

export function makeSession(id: string, userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    userId,
    mode: 'session',
    secretHash: `hash-of-${id}`,
    previousSecretHash: null,
    rotatedAt: null,
    generation: 0,
    device: 'Firefox on Linux',
    ip: '203.0.113.7',
    createdAt: T0,
    lastSeenAt: T0,
    idleExpiresAt: T0 + 30 * MINUTE,
    absoluteExpiresAt: T0 + 7 * DAY,
    revokedAt: null,
    ...overrides,
  };
}

export function makeKey(kid: string, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    kid,
    alg: 'EdDSA',
    publicJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: `x-${kid}` }),
    privateJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: `x-${kid}`, d: `d-${kid}` }),
    createdAt: T0,
    activatesAt: T0,
    retiresAt: null,
    expiresAt: null,
    ...overrides,
  };
}

/** An `endSessions` request ending nothing by itself; spread the interesting fields over it. */
export function endRequest(userId: string, overrides: Partial<EndSessionsRequest> = {}): EndSessionsRequest {
  return { userId, reason: 'logout', at: T0 + MINUTE, feedExpiresAt: T0 + 20 * MINUTE, ...overrides };
}

/** Creates `user-n` and the given sessions of it. */
export async function seedUser(store: Store, n: number, sessions: Array<[string, Partial<SessionRecord>?]> = []): Promise<UserRecord> {
  const user = makeUser(n);
  await store.createUser(user);
  for (const [id, overrides] of sessions) await store.createSession(makeSession(id, user.id, overrides));
  return user;
}

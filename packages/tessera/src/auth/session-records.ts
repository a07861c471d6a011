import { formatCredential, generateId, generateSecret, hashSecret } from '../crypto/tokens.js';
import type { AuthMode, RevocationEntry, RevocationReason, SessionRecord } from '../stores/types.js';
import type { AuthContext } from './context.js';
import type { ClientInfo } from './public-types.js';
import { describeDevice } from '../http/user-agent.js';

/** A freshly created record and the credential (`id.secret`) that only the client gets. */
export interface NewSession {
  record: SessionRecord;
  credential: string;
}

/** Creates one session record: the same for both modes (the mode only says how it travels). */
export async function createSessionRecord(ctx: AuthContext, userId: string, mode: AuthMode, client: ClientInfo): Promise<NewSession> {
  const { clock, random, sessionIdleTimeoutSeconds, sessionAbsoluteTimeoutSeconds } = ctx.options;
  const now = clock.nowMs();
  const randomId = generateId(random);
  const id = ctx.store.sessionIdFor ? await ctx.store.sessionIdFor(userId, randomId) : randomId;
  const secret = generateSecret(random);
  const record: SessionRecord = {
    id,
    userId,
    mode,
    secretHash: hashSecret(secret),
    previousSecretHash: null,
    rotatedAt: null,
    generation: 0,
    device: describeDevice(client.userAgent),
    ip: client.ip.slice(0, 64),
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: now + sessionIdleTimeoutSeconds * 1000,
    absoluteExpiresAt: now + sessionAbsoluteTimeoutSeconds * 1000,
    revokedAt: null,
  };
  await ctx.store.createSession(record);
  return { record, credential: formatCredential(id, secret) };
}

/** When a record stops being valid: the earlier of its idle and absolute expiry. */
export function sessionExpiresAt(record: Pick<SessionRecord, 'idleExpiresAt' | 'absoluteExpiresAt'>): number {
  return Math.min(record.idleExpiresAt, record.absoluteExpiresAt);
}

/** True when the record can authenticate at `now`. */
export function isSessionActive(record: SessionRecord, now: number): boolean {
  return record.revokedAt === null && record.idleExpiresAt > now && record.absoluteExpiresAt > now;
}

/**
 * Ends session records durably and in this instance's revocation view at once. The feed
 * entries live as long as an access token naming the record could (TTL + clock tolerance).
 */
export async function endSessions(
  ctx: AuthContext,
  request: { userId: string; sessionIds?: readonly string[]; all?: boolean; exceptSessionId?: string; reason: RevocationReason; userNotBefore?: boolean },
): Promise<string[]> {
  const { clock, accessTokenTtlSeconds, clockToleranceSeconds } = ctx.options;
  const at = clock.nowMs();
  const feedExpiresAt = at + (accessTokenTtlSeconds + clockToleranceSeconds) * 1000;
  const ended = await ctx.store.endSessions({ ...request, at, feedExpiresAt });
  const entries: RevocationEntry[] = ended.map((id) => ({ seq: 0, kind: 'session' as const, subject: id, at, expiresAt: feedExpiresAt }));
  if (request.userNotBefore) entries.push({ seq: 0, kind: 'user', subject: request.userId, at, expiresAt: feedExpiresAt });
  ctx.view.apply(entries);
  // The revocation is durable already; the bus only makes other instances learn it sooner, so
  // a failed publish must not fail the sign-out (their catch-up will find it).
  if (entries.length > 0 && ctx.options.clusterBus) ctx.options.clusterBus.publish({ type: 'revocations', entries }).catch(() => {});
  if (ended.length > 0) ctx.options.onEvent({ type: 'sessions_ended', userId: request.userId, sessionIds: ended, reason: request.reason });
  return ended;
}

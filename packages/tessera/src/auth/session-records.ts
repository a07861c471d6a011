import { formatCredential, generateId, generateSecret, hashSecret } from '../crypto/tokens.js';
import type { AuthMode, NewRevocation, RevocationEntry, RevocationReason, SessionRecord } from '../stores/types.js';
import type { AuthContext } from './context.js';
import { TESSERA_OPTION_RANGES } from '../options.js';
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
export function isSessionActive(record: Pick<SessionRecord, 'revokedAt' | 'idleExpiresAt' | 'absoluteExpiresAt'>, now: number): boolean {
  return record.revokedAt === null && record.idleExpiresAt > now && record.absoluteExpiresAt > now;
}

/**
 * Makes "this record has expired" durable: the record is ended as of just before its expiry
 * (so the store's "active" test still matches it). Expiry is otherwise decided per request
 * from the clock, and a clock that goes back would bring an expired session back to life.
 * One write, once per expired record.
 */
export async function endExpiredSession(ctx: AuthContext, session: Pick<SessionRecord, 'id' | 'userId' | 'idleExpiresAt' | 'absoluteExpiresAt'>): Promise<void> {
  await endSessions(ctx, { userId: session.userId, sessionIds: [session.id], reason: 'expired', at: sessionExpiresAt(session) - 1 });
}

/**
 * A sign-out that names records already ended may be the retry of one that timed out after
 * the store did the work but before the feed got the entry (Redis paused: the script ran
 * when it resumed, the client had already given up). Access tokens naming such a record would
 * then live on elsewhere until they expire. So the feed entry is written again for every
 * named record of this user that is ended (revoked, or expired: its last token may still be
 * within the clock tolerance) but still within its tokens' lifetime; a duplicate entry is
 * harmless. Rare path: it costs one read per such id.
 */
async function reassertEnded(ctx: AuthContext, userId: string, ids: readonly string[], at: number, expiresAt: number): Promise<RevocationEntry[]> {
  const entries: NewRevocation[] = [];
  for (const id of ids) {
    const found = await ctx.store.getSessionAndUser(id);
    if (found && found.session.userId === userId && !isSessionActive(found.session, at)) {
      entries.push({ kind: 'session', subject: id, at, expiresAt });
    }
  }
  return entries.length > 0 ? ctx.store.appendRevocations(entries) : [];
}

/**
 * How long the feed keeps an entry about a record ended at `at`: as long as something naming
 * the record could still be believed without it.
 * - An access token: TTL after its `iat`, plus the tolerance on its `exp`. Its `iat` may come
 *   from an instance whose clock runs ahead of this one by up to the tolerance (the skew the
 *   verifier accepts on `iat`); and the verifier may be another service's, whose tolerance on
 *   `exp` is its own, up to the largest any verifier accepts (30 s): a shorter entry would let
 *   that verifier believe the token again for its last seconds.
 * - A cookie check kept by the session cache (`sessionCacheMaxAgeMs`), read before `at` on
 *   any instance: only the view entry ends it.
 */
export function feedEntryExpiresAt(options: Pick<AuthContext['options'], 'accessTokenTtlSeconds' | 'clockToleranceSeconds' | 'sessionCacheMaxAgeMs'>, at: number): number {
  const { accessTokenTtlSeconds, clockToleranceSeconds, sessionCacheMaxAgeMs } = options;
  const tokenBelievedFor = accessTokenTtlSeconds + clockToleranceSeconds + TESSERA_OPTION_RANGES.clockToleranceSeconds.max;
  return at + Math.max(tokenBelievedFor * 1000, sessionCacheMaxAgeMs + clockToleranceSeconds * 1000);
}

/**
 * Ends session records durably and in this instance's revocation view at once. The feed
 * entries live as long as a credential naming the record could be believed without them
 * ({@link feedEntryExpiresAt}).
 */
export async function endSessions(
  ctx: AuthContext,
  request: { userId: string; sessionIds?: readonly string[]; all?: boolean; exceptSessionId?: string; reason: RevocationReason; userNotBefore?: boolean; at?: number },
): Promise<string[]> {
  const at = request.at ?? ctx.options.clock.nowMs();
  const feedExpiresAt = feedEntryExpiresAt(ctx.options, at);
  const ended = await ctx.store.endSessions({ ...request, at, feedExpiresAt });
  const entries: RevocationEntry[] = ended.map((id) => ({ seq: 0, kind: 'session' as const, subject: id, at, expiresAt: feedExpiresAt }));
  if (request.userNotBefore) entries.push({ seq: 0, kind: 'user', subject: request.userId, at, expiresAt: feedExpiresAt });
  if (!request.all && request.sessionIds) entries.push(...(await reassertEnded(ctx, request.userId, request.sessionIds.filter((id) => !ended.includes(id)), at, feedExpiresAt)));
  ctx.view.apply(entries);
  // The revocation is durable already; the bus only makes other instances learn it sooner, so
  // a failed publish must not fail the sign-out (their catch-up will find it).
  if (entries.length > 0 && ctx.options.clusterBus) ctx.options.clusterBus.publish({ type: 'revocations', entries }).catch(() => {});
  if (ended.length > 0) ctx.options.onEvent({ type: 'sessions_ended', userId: request.userId, sessionIds: ended, reason: request.reason });
  return ended;
}

import { hashesEqual, hashSecret, parseCredential } from '../crypto/tokens.js';
import { TesseraError } from '../errors.js';
import { recordAudit } from './audit.js';
import type { AuthContext } from './context.js';
import type { ClientInfo, PublicSession } from './public-types.js';
import { endSessions, sessionExpiresAt } from './session-records.js';

// Sign-out and the user's own session management: list, end one, end all. Each end goes
// through `endSessions` (durable feed, this instance's view, the cluster bus) and is audited.

/** Who ended a record: the user themself (sign-out, the devices list) or an administrator. */
export type EndReason = 'logout' | 'ended_by_user' | 'admin';

/** Ends the session record named by a refresh token (`invalid_grant` when it names none). */
export async function signOutWithRefreshToken(ctx: AuthContext, token: unknown, client?: ClientInfo): Promise<void> {
  const parsed = typeof token === 'string' ? parseCredential(token) : null;
  const found = parsed ? await ctx.store.getSessionAndUser(parsed.id) : null;
  if (!parsed || !found || found.session.mode !== 'jwt') throw new TesseraError('invalid_grant');
  // Any token of the family (current or earlier) may end it: ending is never harmful.
  // A forged secret cannot, since ids alone are not credentials.
  const h = hashSecret(parsed.secret);
  if (!hashesEqual(found.session.secretHash, h) && !(found.session.previousSecretHash && hashesEqual(found.session.previousSecretHash, h))) {
    throw new TesseraError('invalid_grant');
  }
  const ended = await endSessions(ctx, { userId: found.user.id, sessionIds: [found.session.id], reason: 'logout' });
  if (ended.length > 0) await recordAudit(ctx, { type: 'sign_out', userId: found.user.id, sessionId: found.session.id, ip: client?.ip });
}

/** Ends one active record of a user. False when the user has no such active record. */
export async function endSession(ctx: AuthContext, userId: string, sessionId: string, reason: EndReason, client?: ClientInfo): Promise<boolean> {
  const ended = await endSessions(ctx, { userId, sessionIds: [sessionId], reason });
  if (ended.length === 0) return false;
  await recordAudit(ctx, reason === 'logout'
    ? { type: 'sign_out', userId, sessionId, ip: client?.ip }
    : { type: 'session_ended', userId, sessionId, ip: client?.ip, detail: reason === 'admin' ? 'by=admin' : 'by=user' });
  return true;
}

/**
 * Ends every record and token family of a user, with a per-user "not before" so that every
 * access token issued so far is refused. Returns how many records were active.
 */
export async function endAllSessions(ctx: AuthContext, userId: string, reason: 'logout_all' | 'admin', client?: ClientInfo): Promise<number> {
  const ended = await endSessions(ctx, { userId, all: true, reason, userNotBefore: true });
  await recordAudit(ctx, {
    type: 'sessions_ended_all', userId, ip: client?.ip,
    detail: `by=${reason === 'admin' ? 'admin' : 'user'} count=${ended.length}`,
  });
  return ended.length;
}

/** The user's active records, both modes, newest first. */
export async function listSessions(ctx: AuthContext, userId: string, currentSessionId?: string): Promise<PublicSession[]> {
  const records = await ctx.store.listUserSessions(userId, ctx.options.clock.nowMs());
  return records.map((r) => ({
    id: r.id,
    mode: r.mode,
    device: r.device,
    ip: r.ip,
    createdAt: new Date(r.createdAt).toISOString(),
    lastSeenAt: new Date(r.lastSeenAt).toISOString(),
    expiresAt: new Date(sessionExpiresAt(r)).toISOString(),
    current: r.id === currentSessionId,
  }));
}

import { deriveSuccessorSecret, formatCredential, hashesEqual, hashSecret, parseCredential } from '../crypto/tokens.js';
import { TesseraError } from '../errors.js';
import type { SessionRecord } from '../stores/types.js';
import { issueTokenPair } from './access-tokens.js';
import type { AuthContext } from './context.js';
import { recordAudit } from './audit.js';
import type { ClientInfo, TokenPair } from './public-types.js';
import { endExpiredSession, endSessions, isSessionActive, sessionExpiresAt } from './session-records.js';

/**
 * How many rotations back a presented refresh token is traced to tell reuse from a forgery.
 * The trace runs on the event loop (an HMAC and a SHA-256 per step: 2.2 µs measured, one
 * pinned core), for any well-formed token naming a live family, and anyone can grow their own
 * family's generation by refreshing. So it is bounded by a constant, not by the family's age:
 * 256 steps, about 0.55 ms, a few signature verifications' worth (100,000 steps took 220 ms).
 * 256 rotations is 64 hours of 15-minute access tokens (a thief refreshing ahead of the
 * victim stays detectable that long); an older token is still refused, only without revoking
 * its family.
 */
export const MAX_REUSE_TRACE = 256;

function refused(): TesseraError {
  return new TesseraError('invalid_grant');
}

/**
 * Rotates a refresh token (RFC 9700 §4.14.2). The current secret is swapped for its
 * successor with a compare-and-set in the store, so of any number of concurrent uses exactly
 * one rotates. Within the leeway the immediate predecessor may come again (parallel tabs)
 * and gets the *same* successor, derived deterministically from it. Any older token of the
 * family is reuse: the whole family is revoked, and its access tokens with it.
 */
export async function refreshTokens(ctx: AuthContext, refreshToken: string, client?: ClientInfo): Promise<TokenPair> {
  const parsed = typeof refreshToken === 'string' ? parseCredential(refreshToken) : null;
  if (!parsed) throw refused();
  const { options } = ctx;
  const presentedHash = hashSecret(parsed.secret);
  const successor = deriveSuccessorSecret(ctx.refreshDerivationKey, parsed.secret);
  const successorHash = hashSecret(successor);

  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await ctx.store.getSessionAndUser(parsed.id);
    if (!found || found.session.mode !== 'jwt') throw refused();
    const { session, user } = found;
    const now = options.clock.nowMs();
    if (!isSessionActive(session, now) || user.disabledAt !== null) {
      // An expired family is ended for good: a clock that goes back must not revive it.
      if (session.revokedAt === null && user.disabledAt === null) await endExpiredSession(ctx, session);
      options.onEvent({ type: 'refresh', outcome: 'invalid' });
      throw refused();
    }
    // The store's record is not the only word: a Redis restored from an older snapshot, or a
    // replica promoted before it had the sign-out, holds the record as it was before it ended.
    // The revocation feed is durable in the database, and this instance's view of it knows.
    if (ctx.view.isSessionRevoked(session.id)) {
      options.onEvent({ type: 'refresh', outcome: 'invalid' });
      throw refused();
    }
    const idleExpiresAt = Math.min(now + options.sessionIdleTimeoutSeconds * 1000, session.absoluteExpiresAt);

    if (hashesEqual(session.secretHash, presentedHash)) {
      const rotated = await ctx.store.rotateRefreshSecret({ sessionId: session.id, expectedSecretHash: presentedHash, newSecretHash: successorHash, at: now, idleExpiresAt });
      if (!rotated) continue; // Another request rotated first: look again, as the predecessor.
      options.onEvent({ type: 'refresh', outcome: 'rotated' });
      return issueTokenPair(ctx, user.id, session.id, formatCredential(session.id, successor), session.absoluteExpiresAt, idleExpiresAt);
    }

    const inLeeway = session.rotatedAt !== null && now - session.rotatedAt <= options.refreshReuseLeewaySeconds * 1000;
    if (inLeeway && session.previousSecretHash !== null && hashesEqual(session.previousSecretHash, presentedHash) && hashesEqual(session.secretHash, successorHash)) {
      options.onEvent({ type: 'refresh', outcome: 'replayed_in_leeway' });
      return issueTokenPair(ctx, user.id, session.id, formatCredential(session.id, successor), session.absoluteExpiresAt, sessionExpiresAt(session));
    }

    if (isEarlierTokenOfFamily(ctx, session, parsed.secret)) {
      await endSessions(ctx, { userId: user.id, sessionIds: [session.id], reason: 'refresh_reuse' });
      options.onEvent({ type: 'refresh_reuse_detected', userId: user.id, sessionId: session.id });
      // The address is the presenter's: the thief's, or the victim's if the thief refreshed first.
      await recordAudit(ctx, { type: 'refresh_reuse_detected', userId: user.id, sessionId: session.id, ip: client?.ip, detail: `generation=${session.generation}` });
    } else {
      options.onEvent({ type: 'refresh', outcome: 'invalid' });
    }
    throw refused();
  }
  // Three lost races in a row: a storm on one token. Refuse rather than spin.
  throw refused();
}

/**
 * True when `secret` is a genuine earlier token of this family: following the successor
 * chain from it reaches the current secret. A forged secret with a known `sid` (which every
 * access token names) must not let anyone revoke a family, so only real reuse counts.
 */
function isEarlierTokenOfFamily(ctx: AuthContext, session: SessionRecord, secret: string): boolean {
  let current = secret;
  const steps = Math.min(session.generation, MAX_REUSE_TRACE);
  for (let i = 0; i < steps; i++) {
    current = deriveSuccessorSecret(ctx.refreshDerivationKey, current);
    if (hashesEqual(hashSecret(current), session.secretHash)) return true;
  }
  return false;
}

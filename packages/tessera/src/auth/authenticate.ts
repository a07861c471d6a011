import { epochSeconds } from '../clock.js';
import { isoTime } from '../iso-time.js';
import { hashesEqual, hashSecret, parseCredential } from '../crypto/tokens.js';
import { TesseraError } from '../errors.js';
import { readCookie } from '../http/cookies.js';
import { verifyAccessToken } from '../jwt/access-token.js';
import { refusalReason } from '../jwt/refusal.js';
import type { AuthContext } from './context.js';
import type { AnonymousReason, AuthResult } from './public-types.js';
import { toPublicUser } from './public-types.js';
import { endExpiredSession, isSessionActive, sessionExpiresAt } from './session-records.js';

/**
 * The request headers `authenticate` reads, as strings: the core never sees a framework's
 * request object. Two `Authorization` headers (an array) are refused as ambiguous.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http'
 * import type { CredentialHeaders } from 'tessera'
 *
 * async function authenticate(req: IncomingMessage) {
 *   const headers: CredentialHeaders = { authorization: req.headers.authorization, cookie: req.headers.cookie }
 *   return auth.authenticate(headers)
 * }
 * ```
 */
export interface CredentialHeaders {
  authorization?: string | readonly string[] | undefined;
  cookie?: string | readonly string[] | undefined;
}

/** How long after a store failure cached session checks are not trusted, in milliseconds. */
const STORE_DOUBT_MS = 5000;

function anonymous(reason: AnonymousReason, credentialSent: boolean, mode?: 'session' | 'jwt'): AuthResult {
  return mode === undefined ? { status: 'anonymous', reason, credentialSent } : { status: 'anonymous', reason, credentialSent, mode };
}

const BEARER_PREFIX = /^Bearer +/i;

/**
 * The token of an `Authorization: Bearer <token>` value: the scheme in any case, one space or
 * more, the token, trailing spaces ignored. Only the prefix is matched by a regex: scanning a
 * 300-character token for whitespace (`/^Bearer +([^\s]+) *$/i`) was 5 % of the instructions of
 * a seen-token `GET /auth/me` (bench/instructions.ts). A token with whitespace inside is
 * passed on: it is never in the verified-token cache, and the JWS parser refuses it.
 */
function bearerToken(value: string): string | undefined {
  const prefix = BEARER_PREFIX.exec(value);
  if (prefix === null) return undefined;
  let end = value.length;
  while (end > prefix[0].length && value.charCodeAt(end - 1) === 0x20) end--;
  return end > prefix[0].length ? value.slice(prefix[0].length, end) : undefined;
}

/**
 * Who is calling. A Bearer access token wins over a cookie (it is explicit); the session
 * token is read only from the cookie, never from the URL, body or other headers.
 * A store outage throws `unavailable`: "could not check" is neither "logged in" nor "logged out".
 */
export async function authenticate(ctx: AuthContext, headers: CredentialHeaders): Promise<AuthResult> {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    // Two Authorization headers: which one would a proxy or a peer service have checked?
    if (typeof authorization !== 'string') return anonymous('ambiguous', true, 'jwt');
    const token = bearerToken(authorization);
    if (token === undefined) return anonymous('invalid', true, 'jwt');
    return authenticateAccessToken(ctx, token);
  }
  const cookie = readCookie(headers.cookie, ctx.cookieNames.session);
  if (cookie.status === 'absent') return anonymous('no_credentials', false);
  if (cookie.status === 'ambiguous') return anonymous('ambiguous', true, 'session');
  return authenticateSessionToken(ctx, cookie.value);
}

/** Verifies an access token: signature, claims, then the in-memory revocation view. No store read. */
export async function authenticateAccessToken(ctx: AuthContext, token: string): Promise<AuthResult> {
  const { options } = ctx;
  const nowSeconds = epochSeconds(options.clock);
  let claims = ctx.tokenCache.get(token, nowSeconds, options.clockToleranceSeconds);
  if (claims === undefined) {
    const verify = () => verifyAccessToken(token, {
      keys: (kid) => ctx.keys.ring.verificationKey(kid, options.clock.nowMs()),
      issuer: options.issuer,
      audience: options.audience,
      nowSeconds,
      clockToleranceSeconds: options.clockToleranceSeconds,
      maxTtlSeconds: options.accessTokenTtlSeconds,
    });
    try {
      try {
        claims = verify();
      } catch (error) {
        // A kid we do not know may be a key rotated in on another instance: look once more.
        if (refusalReason(error) !== 'unknown_kid' || !(await ctx.keys.reloadForUnknownKid())) throw error;
        claims = verify();
      }
    } catch (error) {
      // The reload for an unknown kid could not read the store: "could not check" (503), as
      // for a cookie, not a refusal of a token that may be valid.
      if (error instanceof TesseraError && error.code === 'unavailable') throw error;
      const expired = error instanceof TesseraError && error.code === 'token_expired';
      options.onEvent({ type: 'token_verification', outcome: expired ? 'expired' : 'invalid' });
      return anonymous(expired ? 'expired' : 'invalid', true, 'jwt');
    }
    ctx.tokenCache.admit(token, claims);
  }
  if (ctx.view.isTokenRevoked(claims.sid, claims.jti, claims.sub, claims.iat)) {
    options.onEvent({ type: 'token_verification', outcome: 'revoked' });
    return anonymous('revoked', true, 'jwt');
  }
  options.onEvent({ type: 'token_verification', outcome: 'valid' });
  return {
    status: 'authenticated',
    mode: 'jwt',
    userId: claims.sub,
    sessionId: claims.sid,
    expiresAt: isoTime(claims.exp * 1000),
    setCookies: [],
  };
}

/**
 * Validates a session cookie: parse, one store lookup by id, constant-time hash compare,
 * idle and absolute expiry, then a throttled sliding renewal.
 */
export async function authenticateSessionToken(ctx: AuthContext, credential: string): Promise<AuthResult> {
  const { options } = ctx;
  const now = options.clock.nowMs();
  // A credential checked against the store within the last second skips the read (see
  // RecentCache): the key is the whole credential, and the checks below run on every hit.
  // While the store is in doubt (a call failed in the last few seconds) the cache stands
  // down, so an outage answers 503 rather than 200 for a credential it cannot check.
  const storeInDoubt = now - ctx.storeHealth.failedAt < STORE_DOUBT_MS;
  let found = storeInDoubt ? undefined : ctx.sessionCache.get(credential, now);
  if (found === undefined) {
    const parsed = parseCredential(credential);
    if (!parsed) {
      options.onEvent({ type: 'session_validation', outcome: 'invalid' });
      return anonymous('invalid', true, 'session');
    }
    // The narrow read where the store has one: the check needs 13 of the record's and user's 21 fields (11 read).
    const { store } = ctx;
    found = (await (store.getSessionCheck ? store.getSessionCheck(parsed.id) : store.getSessionAndUser(parsed.id))) ?? undefined;
    if (!found || found.session.mode !== 'session' || !hashesEqual(found.session.secretHash, hashSecret(parsed.secret))) {
      options.onEvent({ type: 'session_validation', outcome: 'invalid' });
      return anonymous('invalid', true, 'session');
    }
    ctx.sessionCache.set(credential, found, now);
  }
  const { session, user } = found;
  // The view as well as the record: a revocation that reached the durable feed holds even if
  // the store that keeps the records missed it (Redis paused or flushed, then back), and it
  // is what ends a cached session at once.
  if (session.revokedAt !== null || user.disabledAt !== null || ctx.view.isSessionRevoked(session.id)) {
    ctx.sessionCache.delete(credential);
    options.onEvent({ type: 'session_validation', outcome: 'revoked' });
    return anonymous('revoked', true, 'session');
  }
  if (!isSessionActive(session, now)) {
    ctx.sessionCache.delete(credential);
    await endExpiredSession(ctx, session);
    options.onEvent({ type: 'session_validation', outcome: 'expired' });
    return anonymous('expired', true, 'session');
  }
  if (now - session.lastSeenAt >= options.sessionTouchIntervalSeconds * 1000) {
    const idleExpiresAt = Math.min(now + options.sessionIdleTimeoutSeconds * 1000, session.absoluteExpiresAt);
    await ctx.store.touchSession(session.id, now, idleExpiresAt);
    // The cached copy is ours alone (stores return copies): keep it in step with the write.
    session.lastSeenAt = now;
    session.idleExpiresAt = idleExpiresAt;
  }
  options.onEvent({ type: 'session_validation', outcome: 'valid' });
  return {
    status: 'authenticated',
    mode: 'session',
    userId: user.id,
    user: toPublicUser(user),
    sessionId: session.id,
    expiresAt: isoTime(sessionExpiresAt(session)),
    setCookies: [],
  };
}

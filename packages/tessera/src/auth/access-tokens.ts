import { epochSeconds } from '../clock.js';
import { generateId } from '../crypto/tokens.js';
import { TesseraError } from '../errors.js';
import { signAccessToken } from '../jwt/access-token.js';
import type { AuthContext } from './context.js';
import type { TokenPair } from './public-types.js';
import { refreshCookie } from '../http/cookies.js';

/**
 * Issues an access token for a session record and pairs it with its refresh credential.
 * RFC 9068 profile: `typ: at+jwt`, `kid`; claims iss, aud, sub, sid, client_id, iat, exp, jti.
 *
 * The token expires with its record at the latest (`recordExpiresAt`, the earlier of its idle
 * and absolute expiry): a token that outlived its family would stay valid after the family
 * ended, while the record it names no longer shows in the session list and a sign-out finds
 * nothing active to end. Throws `invalid_grant` when the record ends within this second.
 */
export function issueTokenPair(ctx: AuthContext, userId: string, sessionId: string, refreshToken: string, refreshExpiresAt: number, recordExpiresAt: number): TokenPair {
  const { options } = ctx;
  const now = options.clock.nowMs();
  const iat = epochSeconds(options.clock);
  const exp = Math.min(iat + options.accessTokenTtlSeconds, Math.floor(recordExpiresAt / 1000));
  if (exp <= iat) throw new TesseraError('invalid_grant');
  const accessToken = signAccessToken(
    {
      iss: options.issuer,
      aud: options.audience,
      sub: userId,
      sid: sessionId,
      client_id: options.clientId,
      iat,
      exp,
      jti: generateId(options.random),
    },
    ctx.keys.ring.signingKey(now),
  );
  return {
    accessToken,
    tokenType: 'Bearer',
    expiresIn: exp - iat,
    refreshToken,
    sessionId,
    setCookies: [refreshCookie(ctx.cookieNames, options.cookieSecure, refreshToken, (refreshExpiresAt - now) / 1000)],
  };
}

import { epochSeconds } from '../clock.js';
import { generateId } from '../crypto/tokens.js';
import { signAccessToken } from '../jwt/access-token.js';
import type { AuthContext } from './context.js';
import type { TokenPair } from './public-types.js';
import { refreshCookie } from '../http/cookies.js';

/**
 * Issues an access token for a session record and pairs it with its refresh credential.
 * RFC 9068 profile: `typ: at+jwt`, `kid`; claims iss, aud, sub, sid, client_id, iat, exp, jti.
 */
export function issueTokenPair(ctx: AuthContext, userId: string, sessionId: string, refreshToken: string, refreshExpiresAt: number): TokenPair {
  const { options } = ctx;
  const now = options.clock.nowMs();
  const iat = epochSeconds(options.clock);
  const accessToken = signAccessToken(
    {
      iss: options.issuer,
      aud: options.audience,
      sub: userId,
      sid: sessionId,
      client_id: options.clientId,
      iat,
      exp: iat + options.accessTokenTtlSeconds,
      jti: generateId(options.random),
    },
    ctx.keys.ring.signingKey(now),
  );
  return {
    accessToken,
    tokenType: 'Bearer',
    expiresIn: options.accessTokenTtlSeconds,
    refreshToken,
    sessionId,
    setCookies: [refreshCookie(ctx.cookieNames, options.cookieSecure, refreshToken, (refreshExpiresAt - now) / 1000)],
  };
}

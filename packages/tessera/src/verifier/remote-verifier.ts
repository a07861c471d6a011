import { epochSeconds } from '../clock.js';
import { TesseraError } from '../errors.js';
import { verifyAccessToken } from '../jwt/access-token.js';
import type { AccessTokenClaims, VerifyAccessTokenOptions } from '../jwt/access-token.js';
import type { VerificationKey } from '../jwt/key-ring.js';
import { refusalReason } from '../jwt/refusal.js';
import { VerifiedTokenCache } from '../jwt/verified-token-cache.js';
import { RevocationView } from '../revocation/revocation-view.js';
import { fetchJwks, sameKeySet } from './jwks-client.js';
import { createRevocationFeedClient } from './revocation-feed-client.js';
import { resolveRemoteVerifierOptions } from './remote-verifier-options.js';
import type { RemoteVerifierOptions } from './remote-verifier-options.js';
import type { RemoteVerifier } from './remote-verifier-types.js';

/**
 * `tessera/verifier`: verifies Tessera access tokens in another service, with no call to
 * Tessera per request. Keys come from the JWKS (fetched at start, refreshed in the background
 * and on an unknown `kid`, at most once per cooldown); revocations come from
 * `GET /auth/revocations`, polled into the same `RevocationView` Tessera itself uses. When the
 * last successful poll is older than `maxLagSeconds`, every verification fails closed with
 * `unavailable`: "could not check" is never "valid".
 *
 * HS256 tokens cannot be verified remotely: their secret is never published in the JWKS.
 */

export type { RemoteVerifierOptions } from './remote-verifier-options.js';
export type { BearerHeaders, RemoteVerifier, RemoteVerifierStatus } from './remote-verifier-types.js';
export type { AccessTokenClaims } from '../jwt/access-token.js';
export type { FetchFunction } from './http-json.js';
export { RemoteFetchError } from './http-json.js';

function refused(reason: string): TesseraError {
  return new TesseraError('unauthorized', { cause: new Error(reason) });
}

/**
 * Creates a verifier of Tessera access tokens for another service: no call to Tessera per
 * request, revocations followed from its feed, and "could not check" never taken for valid.
 * Throws `TesseraError('invalid_request')` for bad options. See {@link RemoteVerifier}.
 *
 * @example
 * ```ts
 * import { createRemoteVerifier } from 'tessera/verifier'
 *
 * const verifier = createRemoteVerifier({ issuer: 'https://auth.example.com', serviceKey: process.env.TESSERA_SERVICE_KEY })
 * await verifier.start()
 * async function userIdOf(request: Request): Promise<string> {
 *   const claims = await verifier.verifyRequest({ authorization: request.headers.get('authorization') ?? undefined })
 *   return claims.sub
 * }
 * ```
 */
export function createRemoteVerifier(input: RemoteVerifierOptions): RemoteVerifier {
  const o = resolveRemoteVerifierOptions(input);
  const { clock } = o;
  const view = o.revocations === 'feed'
    ? new RevocationView(createRevocationFeedClient({ url: o.revocationsUrl, serviceKey: o.serviceKey!, fetch: o.fetch, timeoutMs: o.timeoutMs }), clock)
    : undefined;
  const cache = new VerifiedTokenCache(o.tokenCacheSize);
  let keys: ReadonlyMap<string, VerificationKey> = new Map();
  let jwksInFlight: Promise<void> | undefined;
  let lastJwksAttemptAt = -Infinity;
  let lastJwksFailed = false;
  let jwksTimer: NodeJS.Timeout | undefined;
  let running = false;
  const retryAfterSeconds = Math.max(1, Math.ceil(o.pollIntervalMs / 1000));

  const verifyOptions = (nowSeconds: number): VerifyAccessTokenOptions => ({
    keys: (kid) => keys.get(kid),
    issuer: o.issuer,
    audience: o.audience,
    nowSeconds,
    clockToleranceSeconds: o.clockToleranceSeconds,
    maxTtlSeconds: o.maxTtlSeconds,
  });

  const lagMs = (): number | null => (view === undefined || view.lastSyncAt === 0 ? null : clock.nowMs() - view.lastSyncAt);
  /**
   * Whether the view is fresh enough to vouch. A negative lag means the clock went back since
   * the last poll (an NTP step): how long ago that poll was is then unknown, so it is not
   * fresh, until the next successful poll dates the view again (one poll interval).
   */
  const fresh = (lag: number | null): boolean => lag !== null && lag >= 0 && lag <= o.maxLagMs;

  function refreshKeys(): Promise<void> {
    jwksInFlight ??= (async () => {
      lastJwksAttemptAt = clock.nowMs();
      try {
        const next = (await fetchJwks(o.jwksUrl, { fetch: o.fetch, timeoutMs: o.timeoutMs })).keys;
        lastJwksFailed = false;
        if (!sameKeySet(keys, next)) {
          keys = next;
          // A key that left the set must stop verifying, cached tokens included.
          cache.clear();
        }
      } catch (error) {
        lastJwksFailed = true;
        throw error;
      }
    })().finally(() => {
      jwksInFlight = undefined;
    });
    return jwksInFlight;
  }

  /** Signature and claims, from the cache or verified; an unknown kid may refetch the JWKS once. */
  async function verifyToken(token: string): Promise<AccessTokenClaims> {
    const nowSeconds = epochSeconds(clock);
    const cached = cache.get(token, nowSeconds, o.clockToleranceSeconds);
    if (cached !== undefined) return cached;
    let claims: AccessTokenClaims;
    try {
      claims = verifyAccessToken(token, verifyOptions(nowSeconds));
    } catch (error) {
      if (refusalReason(error) !== 'unknown_kid') throw error;
      if (jwksInFlight === undefined && clock.nowMs() - lastJwksAttemptAt < o.jwksCooldownMs) {
        if (lastJwksFailed) throw new TesseraError('unavailable', { retryAfterSeconds, cause: new Error('The JWKS could not be fetched.') });
        throw error;
      }
      try {
        await refreshKeys();
      } catch (cause) {
        throw new TesseraError('unavailable', { retryAfterSeconds, cause });
      }
      claims = verifyAccessToken(token, verifyOptions(epochSeconds(clock)));
    }
    // Frozen: the cached object is shared by every later hit.
    if (Array.isArray(claims.aud)) Object.freeze(claims.aud);
    Object.freeze(claims);
    cache.admit(token, claims);
    return claims;
  }

  async function verify(token: string): Promise<AccessTokenClaims> {
    const claims = await verifyToken(token);
    if (view !== undefined) {
      // A revocation already known holds whatever the lag; only then may a stale view refuse to vouch.
      if (view.isTokenRevoked(claims.sid, claims.jti, claims.sub, claims.iat)) throw refused('revoked');
      if (!fresh(lagMs())) {
        throw new TesseraError('unavailable', { retryAfterSeconds, cause: new Error('The revocation feed is behind the maximum lag.') });
      }
    }
    return claims;
  }

  return {
    async start() {
      if (!running) {
        running = true;
        view?.start(o.pollIntervalMs, o.onError);
        jwksTimer = setInterval(() => {
          refreshKeys().catch(o.onError);
        }, o.jwksRefreshIntervalMs);
        jwksTimer.unref();
      }
      try {
        await Promise.all([refreshKeys(), view?.catchUp()]);
      } catch (cause) {
        throw new TesseraError('unavailable', { retryAfterSeconds, cause });
      }
    },
    stop() {
      running = false;
      view?.stop();
      clearInterval(jwksTimer);
      jwksTimer = undefined;
    },
    verify,
    async verifyRequest(headers) {
      const header = headers.authorization;
      const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
      if (match === null) throw refused(header === undefined ? 'no_credentials' : 'bad_authorization_header');
      return verify(match[1]!);
    },
    sync: () => view?.catchUp() ?? Promise.resolve(),
    refreshKeys,
    status() {
      const lag = lagMs();
      return {
        revocations: o.revocations,
        keys: keys.size,
        feedCursor: view === undefined ? null : view.cursor,
        lastSyncAt: lag === null ? null : view!.lastSyncAt,
        lagSeconds: lag === null ? null : lag / 1000,
        healthy: keys.size > 0 && (view === undefined || fresh(lag)),
      };
    },
  };
}

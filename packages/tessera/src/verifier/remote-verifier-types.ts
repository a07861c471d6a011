import type { AccessTokenClaims } from '../jwt/access-token.js';

/**
 * What `status()` reports, for readiness probes and metrics: whether `verify` can succeed
 * now, and how far behind the revocation view is. Times in ms since the epoch.
 *
 * @example
 * ```ts
 * import type { RemoteVerifier, RemoteVerifierStatus } from 'tessera/verifier'
 *
 * function readyz(verifier: RemoteVerifier): { status: number; body: RemoteVerifierStatus } {
 *   const status = verifier.status()
 *   return { status: status.healthy ? 200 : 503, body: status }
 * }
 * ```
 */
export interface RemoteVerifierStatus {
  /** `'none'`: JWKS only, revocations are NOT enforced. */
  revocations: 'feed' | 'none';
  /** Usable verification keys. */
  keys: number;
  /** Feed cursor the view is complete up to; null without the feed. */
  feedCursor: number | null;
  /** Start of the last successful feed sync; null before the first or without the feed. */
  lastSyncAt: number | null;
  lagSeconds: number | null;
  /** Keys loaded and, with the feed, lag within the maximum: `verify` can succeed. */
  healthy: boolean;
}

/**
 * The headers `verifyRequest` reads, as strings: any framework's request fits. An array (two
 * `Authorization` headers) is refused.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http'
 * import type { BearerHeaders, RemoteVerifier } from 'tessera/verifier'
 *
 * async function userIdOf(verifier: RemoteVerifier, req: IncomingMessage): Promise<string> {
 *   const headers: BearerHeaders = { authorization: req.headers.authorization }
 *   return (await verifier.verifyRequest(headers)).sub
 * }
 * ```
 */
export interface BearerHeaders {
  authorization?: string | readonly string[] | undefined;
}

/**
 * A verifier of Tessera access tokens for another service, made by `createRemoteVerifier`:
 * start it once, verify per request, stop it at shutdown.
 *
 * @example
 * ```ts
 * import { createRemoteVerifier } from 'tessera/verifier'
 * import type { RemoteVerifier } from 'tessera/verifier'
 *
 * const verifier: RemoteVerifier = createRemoteVerifier({ issuer: 'https://auth.example.com', serviceKey: process.env.TESSERA_SERVICE_KEY })
 * await verifier.start() // rejects with `unavailable` if Tessera cannot be reached; it keeps retrying
 * process.once('SIGTERM', () => verifier.stop())
 * ```
 */
export interface RemoteVerifier {
  /**
   * Fetches the JWKS, catches the feed up from the start, and starts polling (timers do not
   * keep the process alive). Rejects with `unavailable` when the first load fails; the
   * verifier keeps retrying in the background (and fails closed) until `stop()`.
   */
  start(): Promise<void>;
  stop(): void;
  /**
   * The claims of a valid, unrevoked token. Throws `TesseraError`: `unauthorized` (invalid or
   * revoked; reason on `cause`), `token_expired`, or `unavailable` (feed lag past the maximum,
   * or an unknown kid while the JWKS cannot be fetched). The claims object is frozen.
   */
  verify(token: string): Promise<AccessTokenClaims>;
  /** `verify` on `Authorization: Bearer <token>`; a missing, repeated or malformed header is `unauthorized`. */
  verifyRequest(headers: BearerHeaders): Promise<AccessTokenClaims>;
  /** Polls the feed now (concurrent calls share one read). */
  sync(): Promise<void>;
  /** Fetches the JWKS now. */
  refreshKeys(): Promise<void>;
  status(): RemoteVerifierStatus;
}

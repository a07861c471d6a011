import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import { TESSERA_OPTION_RANGES } from '../options.js';
import { checkRemoteUrl } from './http-json.js';
import type { FetchFunction } from './http-json.js';

/**
 * Options of `createRemoteVerifier`: which tokens to accept and how fresh the revocation
 * view must be. Only `issuer` is required (and `serviceKey` while revocations are followed).
 * Times are in the unit their name says.
 *
 * @example
 * ```ts
 * import { createRemoteVerifier } from 'tessera/verifier'
 * import type { RemoteVerifierOptions } from 'tessera/verifier'
 *
 * const options: RemoteVerifierOptions = {
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com', // Tessera's `audience` option
 *   serviceKey: process.env.TESSERA_SERVICE_KEY,
 *   maxLagSeconds: 10,
 *   onError: (error) => console.warn('token verifier:', error),
 * }
 * const verifier = createRemoteVerifier(options)
 * ```
 */
export interface RemoteVerifierOptions {
  /** The exact `iss` of the tokens (Tessera's `TESSERA_ISSUER`), e.g. `https://auth.example.com`. */
  issuer: string;
  /** The `aud` this service accepts; default: the issuer (Tessera's default audience). */
  audience?: string;
  /** Default: issuer + `/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** Default: issuer + `/auth/revocations`. Unused with `revocations: 'none'`. */
  revocationsUrl?: string;
  /**
   * `'feed'` (default): follow the revocation feed and fail closed past `maxLagSeconds`; needs
   * `serviceKey`. `'none'`: JWKS only, so a revoked token stays valid until its `exp` (at most
   * the access-token TTL); choose it only where that is acceptable.
   */
  revocations?: 'feed' | 'none';
  /** One of Tessera's `TESSERA_SERVICE_KEYS`, sent as Bearer to the feed. */
  serviceKey?: string;
  /** Past this time since the last successful feed sync, `verify` throws `unavailable`. Default 5. */
  maxLagSeconds?: number;
  /** Feed poll interval; must be below the maximum lag. Default 1000. */
  pollIntervalMs?: number;
  /** Leeway on `exp`/`nbf`/`iat` (0 to 30). Default 5. */
  clockToleranceSeconds?: number;
  /** Longest `exp - iat` accepted (Tessera's `TESSERA_ACCESS_TOKEN_TTL`). Default 900. */
  maxTtlSeconds?: number;
  /** Least time between two JWKS fetches caused by unknown kids. Default 30 000. */
  jwksCooldownMs?: number;
  /** Background JWKS refresh interval (picks up new keys and drops removed ones). Default 300 000. */
  jwksRefreshIntervalMs?: number;
  /** Deadline of each HTTP call, body included. Default 2000. */
  timeoutMs?: number;
  /** Verified tokens remembered to skip their signature check (0 disables). Default 10 000. */
  tokenCacheSize?: number;
  /** Accept http:// URLs on hosts other than loopback (e.g. a private network). Default false. */
  allowInsecureHttp?: boolean;
  /** Injected for tests; default: the global `fetch`. */
  fetch?: FetchFunction;
  /** Injected for tests; default: the system clock. */
  clock?: Clock;
  /** Told of background failures (feed poll, JWKS refresh); messages carry no secret. */
  onError?: (error: unknown) => void;
}

/** The options with every default applied and every value checked. */
export interface ResolvedRemoteVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly revocationsUrl: string;
  readonly revocations: 'feed' | 'none';
  readonly serviceKey: string | undefined;
  readonly maxLagMs: number;
  readonly pollIntervalMs: number;
  readonly clockToleranceSeconds: number;
  readonly maxTtlSeconds: number;
  readonly jwksCooldownMs: number;
  readonly jwksRefreshIntervalMs: number;
  readonly timeoutMs: number;
  readonly tokenCacheSize: number;
  readonly fetch: FetchFunction;
  readonly clock: Clock;
  readonly onError: (error: unknown) => void;
}

function invalid(message: string): TesseraError {
  return new TesseraError('invalid_request', { message });
}

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw invalid(`Option ${name} must be an integer from ${min} to ${max}.`);
  return v;
}

/**
 * Applies defaults and checks every option. Throws `TesseraError('invalid_request')` naming
 * the option; `revocations: 'feed'` (the default) without a `serviceKey` is such an error.
 */
export function resolveRemoteVerifierOptions(options: RemoteVerifierOptions): ResolvedRemoteVerifierOptions {
  const { issuer } = options;
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) throw invalid('Option issuer must be an absolute URL.');
  const audience = options.audience ?? issuer;
  if (typeof audience !== 'string' || audience.length === 0) throw invalid('Option audience must be a non-empty string.');
  const base = issuer.replace(/\/+$/, '');
  const insecure = options.allowInsecureHttp === true;
  const revocations = options.revocations ?? 'feed';
  if (revocations !== 'feed' && revocations !== 'none') throw invalid('Option revocations must be "feed" or "none".');
  const { serviceKey } = options;
  if (revocations === 'feed' && (typeof serviceKey !== 'string' || !/^[\x21-\x7e]{1,1024}$/.test(serviceKey))) {
    throw invalid('Option serviceKey (one of TESSERA_SERVICE_KEYS) is required with revocations "feed"; pass revocations: "none" to verify without revocations.');
  }
  const maxLagSeconds = options.maxLagSeconds ?? 5;
  if (typeof maxLagSeconds !== 'number' || !(maxLagSeconds > 0 && maxLagSeconds <= 86_400)) {
    throw invalid('Option maxLagSeconds must be a number above 0 and at most 86400.');
  }
  const maxLagMs = Math.round(maxLagSeconds * 1000);
  const pollIntervalMs = integer('pollIntervalMs', options.pollIntervalMs, 1000, 10, 3_600_000);
  if (revocations === 'feed' && pollIntervalMs >= maxLagMs) throw invalid('Option pollIntervalMs must be below maxLagSeconds.');
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw invalid('Option fetch must be a function.');
  // The global fetch is looked up per call, unbound from the options object.
  const fetchFunction: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return Object.freeze({
    issuer,
    audience,
    jwksUrl: checkRemoteUrl('jwksUrl', options.jwksUrl ?? `${base}/.well-known/jwks.json`, insecure),
    revocationsUrl: revocations === 'feed'
      ? checkRemoteUrl('revocationsUrl', options.revocationsUrl ?? `${base}/auth/revocations`, insecure)
      : '',
    revocations,
    serviceKey: revocations === 'feed' ? serviceKey : undefined,
    maxLagMs,
    pollIntervalMs,
    // No more than Tessera's own largest: the feed keeps an entry only that long past a token's exp.
    clockToleranceSeconds: integer('clockToleranceSeconds', options.clockToleranceSeconds, 5, TESSERA_OPTION_RANGES.clockToleranceSeconds.min, TESSERA_OPTION_RANGES.clockToleranceSeconds.max),
    maxTtlSeconds: integer('maxTtlSeconds', options.maxTtlSeconds, 900, 1, 86_400),
    jwksCooldownMs: integer('jwksCooldownMs', options.jwksCooldownMs, 30_000, 0, 86_400_000),
    jwksRefreshIntervalMs: integer('jwksRefreshIntervalMs', options.jwksRefreshIntervalMs, 300_000, 1000, 86_400_000),
    timeoutMs: integer('timeoutMs', options.timeoutMs, 2000, 1, 60_000),
    tokenCacheSize: integer('tokenCacheSize', options.tokenCacheSize, 10_000, 0, 10_000_000),
    fetch: fetchFunction,
    clock: options.clock ?? systemClock,
    onError: options.onError ?? (() => {}),
  });
}

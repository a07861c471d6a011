import type { Clock, RandomSource } from './clock.js';
import { systemClock, systemRandom } from './clock.js';
import { TesseraError } from './errors.js';
import type { PasswordHasher } from './password/password-hasher.js';
import type { Store } from './stores/types.js';
import type { JwsAlgorithm } from './jwt/algorithms.js';
import type { TesseraEvent } from './events.js';
import type { ClusterBus } from './revocation/cluster-bus.js';
import type { Mailer } from './mail/mailer.js';

/**
 * Options of {@link createTessera}. Only `store` and `issuer` are required; every other
 * field has a default ({@link TESSERA_DEFAULTS}) and is checked once, at construction.
 *
 * @example
 * ```ts
 * import { createTessera } from 'tessera'
 * import type { TesseraOptions } from 'tessera'
 *
 * const options: TesseraOptions = {
 *   store,
 *   issuer: 'https://auth.example.com',
 *   accessTokenTtlSeconds: 300,
 *   sessionIdleTimeoutSeconds: 8 * 3600,
 *   trustedOrigins: ['https://app.example.com'],
 * }
 * const auth = await createTessera(options)
 * ```
 */
export interface TesseraOptions {
  /** Where users, session records, keys and revocations live. */
  store: Store;
  /** The `iss` of access tokens: the public URL of this auth server. */
  issuer: string;
  /** The `aud` of access tokens. Default: the issuer. */
  audience?: string;
  accessTokenTtlSeconds?: number;
  /** Seconds in which the immediate predecessor of a refresh token may be presented again. */
  refreshReuseLeewaySeconds?: number;
  sessionIdleTimeoutSeconds?: number;
  sessionAbsoluteTimeoutSeconds?: number;
  jwtAlgorithm?: JwsAlgorithm;
  clockToleranceSeconds?: number;
  /** Secure cookies with the `__Host-`/`__Secure-` prefixes. Default true. */
  cookieSecure?: boolean;
  /** Origins, besides the request's own, allowed to send credentialed state-changing requests. */
  trustedOrigins?: readonly string[];
  /** Failed sign-ins per account and client IP in a sliding 15 minutes. */
  loginMaxFailures?: number;
  passwordMinLength?: number;
  /** Hasher; default argon2id at OWASP parameters with a bounded queue. */
  passwordHasher?: PasswordHasher;
  clock?: Clock;
  random?: RandomSource;
  /** Observes what happens (for metrics and audit); must not throw. */
  onEvent?: (event: TesseraEvent) => void;
  /** How often the revocation view catches up from the store, in milliseconds. */
  revocationCatchUpIntervalMs?: number;
  /** How often expired records, feed entries and throttle entries are deleted, in milliseconds. */
  purgeIntervalMs?: number;
  /** Access tokens remembered as verified (0 turns the cache off). */
  tokenCacheSize?: number;
  /**
   * How long a session record read from the store may serve further requests with the same
   * credential, in milliseconds. The default, 0, reads the store on every request: session
   * mode's promise (instant revocation, and a 503 rather than a 200 as soon as the store cannot
   * be asked). A few hundred milliseconds save most reads of a busy session: revocations on
   * this instance, and those the cluster bus brings, still end a cached session at once, but
   * for up to this long into a store outage (until the first failed store call) a credential
   * checked just before may still be accepted.
   */
  sessionCacheMaxAgeMs?: number;
  /**
   * How instances tell each other about revocations and key rotations (Redis pub/sub,
   * PostgreSQL LISTEN/NOTIFY). Without one, other instances learn from the periodic catch-up.
   */
  clusterBus?: ClusterBus;
  /** How often the key ring is re-read from the store, in milliseconds. */
  keyReloadIntervalMs?: number;
  /**
   * Keep an audit log in the store (sign-ins and their failures, sign-outs, ended sessions,
   * refresh-token reuse, password changes, key rotations, administration). Default true.
   */
  audit?: boolean;
  /**
   * Sends the account mails (email verification, password reset, email change, notices). Without
   * one, accounts work as before but the flows that exist to send mail (password reset,
   * verification resend, email change) answer 503 `unavailable`, and no verification mail is
   * sent at sign-up. The server uses SMTP, or the development outbox ({@link createOutboxMailer}).
   */
  mailer?: Mailer;
  /**
   * Refuse sign-in (403 `forbidden`, after the password is proven, with a fresh verification
   * mail) while the account's email is not verified. Default false. Needs a `mailer`.
   */
  requireVerifiedEmail?: boolean;
  /** Lifetime of a password reset link, in seconds (60 to 86400). Default 1800. */
  passwordResetTtlSeconds?: number;
  /** Lifetime of an email verification or email change link, in seconds (60 to 604800). Default 86400. */
  emailVerificationTtlSeconds?: number;
  /**
   * Where mail links point: `<base>verify-email?token=…`, `<base>reset-password?token=…`,
   * `<base>confirm-email?token=…`. Default `<issuer>/#/` (the web UI's routes).
   */
  accountLinkBase?: string;
  /** Mails of each flow (reset, verification, email change) per account in an hour. Default 5. */
  accountMailsPerHour?: number;
  /** Password reset requests per client IP in an hour (unknown emails count alike). Default 20. */
  passwordResetsPerIpPerHour?: number;
}

/**
 * Options after defaults and validation, frozen (`auth.options`): read only this downstream,
 * never the raw options.
 *
 * @example
 * ```ts
 * import type { ResolvedOptions } from 'tessera'
 *
 * const { accessTokenTtlSeconds, cookieSecure }: ResolvedOptions = auth.options
 * console.log(`access tokens live ${accessTokenTtlSeconds} s; secure cookies: ${cookieSecure}`)
 * ```
 */
export interface ResolvedOptions {
  readonly store: Store;
  readonly issuer: string;
  readonly audience: string;
  readonly clientId: 'tessera';
  readonly accessTokenTtlSeconds: number;
  readonly refreshReuseLeewaySeconds: number;
  readonly sessionIdleTimeoutSeconds: number;
  readonly sessionAbsoluteTimeoutSeconds: number;
  /** Sliding renewal writes at most once per this many seconds per session. */
  readonly sessionTouchIntervalSeconds: number;
  readonly jwtAlgorithm: JwsAlgorithm;
  readonly clockToleranceSeconds: number;
  readonly cookieSecure: boolean;
  readonly trustedOrigins: readonly string[];
  /** The origins the CSRF check accepts besides the request's own: the trusted ones and the issuer's. */
  readonly csrfOrigins: readonly string[];
  readonly loginMaxFailures: number;
  readonly passwordMinLength: number;
  readonly passwordHasher: PasswordHasher | undefined;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly onEvent: (event: TesseraEvent) => void;
  readonly revocationCatchUpIntervalMs: number;
  readonly purgeIntervalMs: number;
  readonly tokenCacheSize: number;
  readonly sessionCacheMaxAgeMs: number;
  readonly clusterBus: ClusterBus | undefined;
  readonly keyReloadIntervalMs: number;
  readonly audit: boolean;
  readonly mailer: Mailer | undefined;
  readonly requireVerifiedEmail: boolean;
  readonly passwordResetTtlSeconds: number;
  readonly emailVerificationTtlSeconds: number;
  readonly accountLinkBase: string;
  readonly accountMailsPerHour: number;
  readonly passwordResetsPerIpPerHour: number;
}

/**
 * The one defaults table (the spec's configuration defaults): what an option is when it is
 * not given, for settings pages and for options set relative to a default.
 *
 * @example
 * ```ts
 * import { createTessera, TESSERA_DEFAULTS } from 'tessera'
 *
 * console.log(`sessions end after ${TESSERA_DEFAULTS.sessionIdleTimeoutSeconds / 3600} h idle`)
 * const auth = await createTessera({ store, issuer: 'https://auth.example.com', loginMaxFailures: TESSERA_DEFAULTS.loginMaxFailures / 2 })
 * ```
 */
export const TESSERA_DEFAULTS = Object.freeze({
  accessTokenTtlSeconds: 900,
  refreshReuseLeewaySeconds: 10,
  sessionIdleTimeoutSeconds: 86_400,
  sessionAbsoluteTimeoutSeconds: 2_592_000,
  jwtAlgorithm: 'EdDSA' as JwsAlgorithm,
  clockToleranceSeconds: 5,
  cookieSecure: true,
  loginMaxFailures: 10,
  passwordMinLength: 15,
  revocationCatchUpIntervalMs: 1000,
  purgeIntervalMs: 600_000,
  tokenCacheSize: 10_000,
  sessionCacheMaxAgeMs: 0,
  // Well inside the 60 s a new key is published before it signs.
  keyReloadIntervalMs: 30_000,
  audit: true,
  requireVerifiedEmail: false,
  passwordResetTtlSeconds: 1800,
  emailVerificationTtlSeconds: 86_400,
  accountMailsPerHour: 5,
  passwordResetsPerIpPerHour: 20,
});

const ALGORITHMS: readonly JwsAlgorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];

/**
 * The inclusive range of each numeric option. `tessera serve` reads its variables against these
 * same ranges, so a value its configuration accepts never fails here.
 *
 * @example
 * ```ts
 * import { TESSERA_OPTION_RANGES } from 'tessera'
 *
 * const { min, max } = TESSERA_OPTION_RANGES.accessTokenTtlSeconds // 1, 86400
 * ```
 */
export const TESSERA_OPTION_RANGES = Object.freeze({
  accessTokenTtlSeconds: { min: 1, max: 86_400 },
  refreshReuseLeewaySeconds: { min: 0, max: 300 },
  sessionIdleTimeoutSeconds: { min: 1, max: 31_536_000 },
  sessionAbsoluteTimeoutSeconds: { min: 1, max: 31_536_000 },
  clockToleranceSeconds: { min: 0, max: 30 },
  loginMaxFailures: { min: 1, max: 1_000_000 },
  passwordMinLength: { min: 8, max: 64 },
  revocationCatchUpIntervalMs: { min: 10, max: 3_600_000 },
  purgeIntervalMs: { min: 1000, max: 86_400_000 },
  tokenCacheSize: { min: 0, max: 10_000_000 },
  sessionCacheMaxAgeMs: { min: 0, max: 60_000 },
  keyReloadIntervalMs: { min: 1000, max: 3_600_000 },
  passwordResetTtlSeconds: { min: 60, max: 86_400 },
  emailVerificationTtlSeconds: { min: 60, max: 604_800 },
  accountMailsPerHour: { min: 1, max: 1_000_000 },
  passwordResetsPerIpPerHour: { min: 1, max: 1_000_000 },
} as const);

type RangedOption = keyof typeof TESSERA_OPTION_RANGES;

/** The option `name` of `options`, or its default, checked against its range. */
function integerOption(options: TesseraOptions, name: RangedOption): number {
  const { min, max } = TESSERA_OPTION_RANGES[name];
  const v = options[name] ?? TESSERA_DEFAULTS[name];
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new TesseraError('invalid_request', { message: `Option ${name} must be an integer from ${min} to ${max}.` });
  }
  return v;
}

function booleanOption(name: string, value: boolean | undefined, fallback: boolean): boolean {
  const v = value ?? fallback;
  if (typeof v !== 'boolean') throw new TesseraError('invalid_request', { message: `Option ${name} must be true or false.` });
  return v;
}

/** Applies defaults, checks every field once, and freezes the result. */
export function resolveOptions(options: TesseraOptions): ResolvedOptions {
  if (!options.store) throw new TesseraError('invalid_request', { message: 'Option store is required.' });
  // `iss` is compared as an exact string (RFC 9068 §4): keep it as given, only check it parses.
  const issuer = options.issuer;
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) {
    throw new TesseraError('invalid_request', { message: 'Option issuer must be an absolute URL.' });
  }
  const d = TESSERA_DEFAULTS;
  const idle = integerOption(options, 'sessionIdleTimeoutSeconds');
  const absolute = integerOption(options, 'sessionAbsoluteTimeoutSeconds');
  if (absolute < idle) {
    throw new TesseraError('invalid_request', { message: 'Option sessionAbsoluteTimeoutSeconds must be at least sessionIdleTimeoutSeconds.' });
  }
  const jwtAlgorithm = options.jwtAlgorithm ?? d.jwtAlgorithm;
  if (!ALGORITHMS.includes(jwtAlgorithm)) {
    throw new TesseraError('invalid_request', { message: `Option jwtAlgorithm must be one of ${ALGORITHMS.join(', ')}.` });
  }
  const trustedOrigins = (options.trustedOrigins ?? []).map((o) => {
    try {
      return new URL(o).origin;
    } catch {
      throw new TesseraError('invalid_request', { message: 'Option trustedOrigins must hold absolute origins.' });
    }
  });
  const onEvent = options.onEvent ?? (() => {});
  const requireVerifiedEmail = booleanOption('requireVerifiedEmail', options.requireVerifiedEmail, d.requireVerifiedEmail);
  if (options.mailer !== undefined && typeof options.mailer?.send !== 'function') {
    throw new TesseraError('invalid_request', { message: 'Option mailer must have a send(message) method.' });
  }
  if (requireVerifiedEmail && options.mailer === undefined) {
    // Nobody could ever verify: every sign-in would be refused.
    throw new TesseraError('invalid_request', { message: 'Option requireVerifiedEmail needs a mailer.' });
  }
  const accountLinkBase = options.accountLinkBase ?? `${issuer.replace(/\/+$/, '')}/#/`;
  if (typeof accountLinkBase !== 'string' || !/^https?:\/\//i.test(accountLinkBase) || !URL.canParse(accountLinkBase)) {
    throw new TesseraError('invalid_request', { message: 'Option accountLinkBase must be an absolute http(s) URL.' });
  }
  return Object.freeze({
    store: options.store,
    issuer,
    audience: options.audience ?? issuer,
    clientId: 'tessera' as const,
    accessTokenTtlSeconds: integerOption(options, 'accessTokenTtlSeconds'),
    refreshReuseLeewaySeconds: integerOption(options, 'refreshReuseLeewaySeconds'),
    sessionIdleTimeoutSeconds: idle,
    sessionAbsoluteTimeoutSeconds: absolute,
    // Renewal writes at most once a minute (or a tenth of a short idle timeout), not per request.
    sessionTouchIntervalSeconds: Math.max(1, Math.min(60, Math.floor(idle / 10))),
    jwtAlgorithm,
    clockToleranceSeconds: integerOption(options, 'clockToleranceSeconds'),
    cookieSecure: options.cookieSecure ?? d.cookieSecure,
    trustedOrigins: Object.freeze(trustedOrigins),
    csrfOrigins: Object.freeze([...trustedOrigins, new URL(issuer).origin]),
    loginMaxFailures: integerOption(options, 'loginMaxFailures'),
    passwordMinLength: integerOption(options, 'passwordMinLength'),
    passwordHasher: options.passwordHasher,
    clock: options.clock ?? systemClock,
    random: options.random ?? systemRandom,
    onEvent: (event: TesseraEvent) => {
      try {
        onEvent(event);
      } catch {
        // An observer's failure must never change an authentication outcome.
      }
    },
    revocationCatchUpIntervalMs: integerOption(options, 'revocationCatchUpIntervalMs'),
    purgeIntervalMs: integerOption(options, 'purgeIntervalMs'),
    tokenCacheSize: integerOption(options, 'tokenCacheSize'),
    sessionCacheMaxAgeMs: integerOption(options, 'sessionCacheMaxAgeMs'),
    clusterBus: options.clusterBus,
    keyReloadIntervalMs: integerOption(options, 'keyReloadIntervalMs'),
    audit: booleanOption('audit', options.audit, d.audit),
    mailer: options.mailer,
    requireVerifiedEmail,
    passwordResetTtlSeconds: integerOption(options, 'passwordResetTtlSeconds'),
    emailVerificationTtlSeconds: integerOption(options, 'emailVerificationTtlSeconds'),
    accountLinkBase,
    accountMailsPerHour: integerOption(options, 'accountMailsPerHour'),
    passwordResetsPerIpPerHour: integerOption(options, 'passwordResetsPerIpPerHour'),
  });
}

/**
 * Prometheus metrics of one server instance, on a registry of its own (never prom-client's
 * global one, so several instances and tests never collide). Every name starts with
 * `tessera_`. Labels take only small, fixed sets of values: never a user, an email, an IP,
 * a token or a raw URL (the HTTP histogram is labelled with the route pattern).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LabelledHistogram } from './labelled-histogram.js';
import type { MailKind, RevocationReason, TesseraEvent } from 'tessera';

/** Expected `mode` label values. */
export const AUTH_MODES = ['session', 'jwt'] as const;
/** Expected `outcome` values of `tessera_login_attempts_total`. */
export const LOGIN_OUTCOMES = ['success', 'invalid_credentials', 'rate_limited', 'disabled', 'unverified'] as const satisfies ReadonlyArray<Extract<TesseraEvent, { type: 'sign_in' }>['outcome']>;
/** Expected `outcome` values of `tessera_token_verifications_total`. */
export const TOKEN_VERIFICATION_OUTCOMES = ['valid', 'invalid', 'expired', 'revoked'] as const satisfies ReadonlyArray<TokenVerificationOutcome>;

type TokenVerificationOutcome = Extract<TesseraEvent, { type: 'token_verification' }>['outcome'];
/** Expected `reason` values of `tessera_revocations_total`. */
export const REVOCATION_REASONS = [
  'logout', 'logout_all', 'ended_by_user', 'password_changed', 'refresh_reuse', 'admin', 'password_reset', 'account_deleted',
] as const satisfies readonly RevocationReason[];
/** Expected `kind` values of `tessera_mail_total`. */
export const MAIL_KINDS = [
  'email_verification', 'password_reset', 'password_changed', 'email_change', 'email_change_notice', 'email_changed', 'account_deleted',
] as const satisfies readonly MailKind[];
/** Expected `outcome` values of `tessera_mail_total`. */
export const MAIL_OUTCOMES = ['sent', 'failed', 'dropped'] as const;

/** How long a count of active sessions serves scrapes (the count is a store walk, not free). */
export const SESSIONS_ACTIVE_CACHE_MS = 10_000;

/** What the gauges read from the auth service (a `Tessera` is one). */
export interface MetricsSource {
  countActiveSessions(): Promise<number>;
  revocationLagSeconds(): number;
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** How long a `tessera_sessions_active` count is reused, in ms. Default {@link SESSIONS_ACTIVE_CACHE_MS}. */
  sessionsActiveCacheMs?: number;
}

/** Label of requests that matched no route (404s): never the raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

// Label values are looked up on every request: the same string objects each time (V8 keeps
// their hashes), not a new string per request (`String(200)`, `toUpperCase()`) to hash again.
const STATUS_LABELS = Array.from({ length: 500 }, (_, i) => String(i + 100));

function statusLabel(statusCode: number): string {
  return (Number.isInteger(statusCode) && STATUS_LABELS[statusCode - 100]) || 'other';
}

function methodLabel(method: string): string {
  // Node hands methods over upper-case, from its own table of constant strings.
  if (HTTP_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return HTTP_METHODS.has(upper) ? upper : 'OTHER';
}

/** The metrics of one server instance. */
export interface TesseraMetrics {
  /** This instance's registry. */
  readonly registry: Registry;
  /** The `Content-Type` of {@link TesseraMetrics.render}'s output. */
  readonly contentType: string;
  /** `tessera_login_attempts_total{mode,outcome}`: see {@link LOGIN_OUTCOMES}. */
  readonly loginAttempts: Counter<'mode' | 'outcome'>;
  /** `tessera_password_hash_duration_seconds`: time of one password hash or verification. */
  readonly passwordHashDuration: Histogram;
  /** `tessera_token_verifications_total{outcome}`: see {@link TOKEN_VERIFICATION_OUTCOMES}. */
  readonly tokenVerifications: Counter<'outcome'>;
  /** Counts one access-token verification: what the request path calls (see there why). */
  countTokenVerification(outcome: TokenVerificationOutcome): void;
  /** `tessera_refresh_reuse_detected_total`: refresh-token families revoked for reuse. */
  readonly refreshReuseDetected: Counter;
  /** `tessera_rate_limited_total`: requests refused with 429. */
  readonly rateLimited: Counter;
  /** `tessera_sessions_created_total{mode}`: session records created. */
  readonly sessionsCreated: Counter<'mode'>;
  /** `tessera_revocations_total{reason}`: see {@link REVOCATION_REASONS}. */
  readonly revocations: Counter<'reason'>;
  /** `tessera_mail_total{kind,outcome}`: account mails handed to the mailer, refused by it, or dropped (queue full). */
  readonly mail: Counter<'kind' | 'outcome'>;
  /**
   * `tessera_http_request_duration_seconds{route,method,status}`: Prometheus' conventional
   * `http_request_duration_seconds` under the spec's `tessera_` prefix.
   */
  readonly httpRequestDuration: LabelledHistogram<'route' | 'method' | 'status'>;
  /** `tessera_sessions_active`: session records active now, both modes (read at scrape time, cached). */
  readonly sessionsActive: Gauge;
  /** `tessera_revocation_lag_seconds`: time since this instance's revocation view caught up with the feed. */
  readonly revocationLag: Gauge;
  /** `tessera_store_operation_duration_seconds{store,op}`: one call of the storage contract. */
  readonly storeOperationDuration: LabelledHistogram<'store' | 'op'>;
  /** `tessera_store_operation_errors_total{store,op}`: store calls that failed (answered 503). */
  readonly storeOperationErrors: Counter<'store' | 'op'>;
  /** Lets the gauges read the auth service (created after the metrics, which observe its events). */
  attach(source: MetricsSource): void;
  /** Records one store call (from the core's `store_operation` event). */
  observeStoreOperation(store: string, op: string, seconds: number, ok: boolean): void;
  /**
   * Records one HTTP request. `route` is the route pattern (`/auth/sessions/:id`), or
   * undefined when no route matched; methods outside the standard set count as `OTHER`.
   */
  observeHttpRequest(route: string | undefined, method: string, statusCode: number, durationSeconds: number): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
}

/** Creates the metrics of one server instance, default process metrics included. */
export function createMetrics(options: MetricsOptions = {}): TesseraMetrics {
  const cacheMs = options.sessionsActiveCacheMs ?? SESSIONS_ACTIVE_CACHE_MS;
  const registry = new Registry();
  const registers = [registry];

  collectDefaultMetrics({ register: registry, prefix: 'tessera_' });

  const loginAttempts = new Counter({
    name: 'tessera_login_attempts_total',
    help: 'Password sign-in attempts, by mode and outcome.',
    labelNames: ['mode', 'outcome'] as const,
    registers,
  });
  const passwordHashDuration = new Histogram({
    name: 'tessera_password_hash_duration_seconds',
    help: 'Time to hash or verify one password (argon2id).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  // Counted on every request with a bearer token: in a plain number per outcome, handed to
  // prom-client when the counter is read (a scrape), not with its `inc`, which hashes the label
  // object on every call: 1.9 % of the instructions of a seen-token GET /auth/me.
  const uncountedVerifications = new Map<TokenVerificationOutcome, number>(TOKEN_VERIFICATION_OUTCOMES.map((o) => [o, 0]));
  const tokenVerifications = new Counter({
    name: 'tessera_token_verifications_total',
    help: 'Access-token verifications, by outcome.',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      for (const [outcome, n] of uncountedVerifications) {
        if (n === 0) continue;
        this.inc({ outcome }, n);
        uncountedVerifications.set(outcome, 0);
      }
    },
  });
  const refreshReuseDetected = new Counter({
    name: 'tessera_refresh_reuse_detected_total',
    help: 'Refresh-token reuse detected outside the leeway; the family was revoked.',
    registers,
  });
  const rateLimited = new Counter({
    name: 'tessera_rate_limited_total',
    help: 'Requests refused with 429 by the rate limiter.',
    registers,
  });
  const sessionsCreated = new Counter({
    name: 'tessera_sessions_created_total',
    help: 'Session records created, by mode.',
    labelNames: ['mode'] as const,
    registers,
  });
  const revocations = new Counter({
    name: 'tessera_revocations_total',
    help: 'Session records revoked, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const mail = new Counter({
    name: 'tessera_mail_total',
    help: 'Account mails, by kind and outcome (sent: handed to the mailer; failed: refused by it; dropped: the queue was full).',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  // Observed on every request: a LabelledHistogram (see there for what prom-client's Histogram costs).
  const httpRequestDuration = new LabelledHistogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'HTTP request duration, by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  let source: MetricsSource | undefined;
  // The count walks the store: one count serves every scrape for `cacheMs`, concurrent
  // scrapes share one walk, and a failed walk keeps the last value (the outage shows in
  // /readyz and in tessera_store_operation_errors_total, not as a fake zero).
  let counted: { value: number; atMs: number } | undefined;
  let counting: Promise<void> | undefined;
  const refreshCount = (from: MetricsSource): Promise<void> => {
    counting ??= from.countActiveSessions().then(
      (value) => {
        counted = { value, atMs: performance.now() };
      },
      () => undefined,
    ).finally(() => {
      counting = undefined;
    });
    return counting;
  };
  const sessionsActive = new Gauge({
    name: 'tessera_sessions_active',
    help: 'Session records active now (not ended, not expired), both modes; counted at most every 10 s.',
    registers,
    async collect() {
      if (!source) return;
      if (counted === undefined || performance.now() - counted.atMs >= cacheMs) await refreshCount(source);
      if (counted !== undefined) this.set(counted.value);
    },
  });
  const revocationLag = new Gauge({
    name: 'tessera_revocation_lag_seconds',
    help: "Seconds since this instance's revocation view last caught up with the durable feed.",
    registers,
    collect() {
      if (source) this.set(source.revocationLagSeconds());
    },
  });
  const storeOperationDuration = new LabelledHistogram({
    name: 'tessera_store_operation_duration_seconds',
    help: 'Duration of one store call, by store kind and contract operation.',
    labelNames: ['store', 'op'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const storeOperationErrors = new Counter({
    name: 'tessera_store_operation_errors_total',
    help: 'Store calls that failed (the request was answered 503), by store kind and contract operation.',
    labelNames: ['store', 'op'] as const,
    registers,
  });

  // Start the expected series at zero, so rate() and absence alerts work from the first scrape.
  for (const mode of AUTH_MODES) {
    sessionsCreated.inc({ mode }, 0);
    for (const outcome of LOGIN_OUTCOMES) loginAttempts.inc({ mode, outcome }, 0);
  }
  for (const outcome of TOKEN_VERIFICATION_OUTCOMES) tokenVerifications.inc({ outcome }, 0);
  for (const reason of REVOCATION_REASONS) revocations.inc({ reason }, 0);
  for (const kind of MAIL_KINDS) for (const outcome of MAIL_OUTCOMES) mail.inc({ kind, outcome }, 0);

  return {
    registry,
    contentType: registry.contentType,
    loginAttempts,
    passwordHashDuration,
    tokenVerifications,
    countTokenVerification(outcome) {
      uncountedVerifications.set(outcome, (uncountedVerifications.get(outcome) ?? 0) + 1);
    },
    refreshReuseDetected,
    rateLimited,
    sessionsCreated,
    revocations,
    mail,
    httpRequestDuration,
    observeHttpRequest(route, method, statusCode, durationSeconds) {
      httpRequestDuration.observe(
        [route === undefined || route === '' ? UNMATCHED_ROUTE : route, methodLabel(method), statusLabel(statusCode)],
        Math.max(0, durationSeconds),
      );
    },
    sessionsActive,
    revocationLag,
    storeOperationDuration,
    storeOperationErrors,
    attach(from) {
      source = from;
    },
    observeStoreOperation(store, op, seconds, ok) {
      // Both labels come from the core (a class-derived kind, a contract method name): bounded.
      storeOperationDuration.observe([store, op], Math.max(0, seconds));
      if (!ok) storeOperationErrors.inc({ store, op });
    },
    render: () => registry.metrics(),
  };
}

/**
 * The one error class of Tessera. Every refusal carries a stable string `code`; the HTTP
 * status and the public message follow from the code alone, so adapters never invent them.
 * The list of codes is mirrored in docs/errors.md and checked by a test.
 */

/**
 * Every error code Tessera can produce, with its HTTP status: the one table the adapters and
 * docs/errors.md follow, so a code answers with the same status wherever it is raised.
 *
 * @example
 * ```ts
 * import { ERROR_STATUS } from 'tessera'
 *
 * ERROR_STATUS.rate_limited // 429
 * // The codes worth retrying later (they carry Retry-After):
 * const retryable = Object.entries(ERROR_STATUS).filter(([, status]) => status === 429 || status === 503).map(([code]) => code)
 * ```
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  weak_password: 400,
  email_taken: 409,
  invalid_credentials: 401,
  unauthorized: 401,
  token_expired: 401,
  invalid_grant: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
} as const;

/**
 * A stable error code: part of the public API, so a caller branches on the code, never on a
 * message or a status (several codes share a status).
 *
 * @example
 * ```ts
 * import { isTesseraError } from 'tessera'
 * import type { ErrorCode } from 'tessera'
 *
 * const messages: Partial<Record<ErrorCode, string>> = {
 *   invalid_credentials: 'Wrong email or password.',
 *   rate_limited: 'Too many attempts: wait a little and try again.',
 *   email_taken: 'This email already has an account: sign in instead.',
 * }
 * function messageFor(error: unknown): string {
 *   return (isTesseraError(error) && messages[error.code]) || 'Something went wrong.'
 * }
 * ```
 */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** Default public messages. They never contain input, tokens or secrets. */
const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  invalid_request: 'The request is malformed.',
  weak_password: 'The password does not meet the password policy.',
  email_taken: 'An account with this email already exists.',
  invalid_credentials: 'The email or password is incorrect.',
  unauthorized: 'Authentication is required.',
  token_expired: 'The access token has expired.',
  invalid_grant: 'The refresh token is invalid, expired or revoked.',
  forbidden: 'This request is not allowed.',
  not_found: 'Not found.',
  method_not_allowed: 'Method not allowed.',
  payload_too_large: 'The request body is too large.',
  unsupported_media_type: 'The request body must be application/json.',
  rate_limited: 'Too many attempts. Try again later.',
  internal_error: 'Internal error.',
  unavailable: 'The service is temporarily unavailable.',
};

/**
 * Options of a {@link TesseraError}: a public message, a retry hint, and the cause kept for
 * logs only.
 *
 * @example
 * ```ts
 * import { TesseraError } from 'tessera'
 * import type { TesseraErrorOptions } from 'tessera'
 *
 * const options: TesseraErrorOptions = { message: 'Billing is down.', retryAfterSeconds: 30, cause: new Error('ECONNREFUSED') }
 * throw new TesseraError('unavailable', options) // 503 with Retry-After: 30; the cause stays in the logs
 * ```
 */
export interface TesseraErrorOptions {
  /** A public message; defaults to a fixed text per code. Never put input or secrets here. */
  message?: string;
  /** Seconds after which a retry may succeed (`rate_limited`, `unavailable`). */
  retryAfterSeconds?: number;
  /** The underlying error, kept for logs (never sent to clients). */
  cause?: unknown;
}

/**
 * The error every Tessera API throws: its `code` says what went wrong, and `status` and the
 * message follow from it, so it can be sent to a client as is (`toJSON()`).
 *
 * @example
 * ```ts
 * import { TesseraError } from 'tessera'
 *
 * try {
 *   await auth.signIn({ email: 'ada@example.com', password: 'correct horse battery staple' }, { ip: '203.0.113.7' })
 * } catch (e) {
 *   if (e instanceof TesseraError && e.code === 'rate_limited') console.log(`try again in ${e.retryAfterSeconds} s`)
 *   else throw e
 * }
 * ```
 */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, options: TesseraErrorOptions = {}) {
    super(options.message ?? DEFAULT_MESSAGES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TesseraError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The JSON body of the spec's error shape. */
  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * True when `value` is a {@link TesseraError}, optionally of one code: the `catch` clause's
 * type guard.
 *
 * @example
 * ```ts
 * import { isTesseraError } from 'tessera'
 *
 * try {
 *   await auth.register({ email: 'ada@example.com', password: 'correct horse battery staple' })
 * } catch (e) {
 *   if (!isTesseraError(e, 'email_taken')) throw e
 *   // Already registered: offer to sign in instead.
 * }
 * ```
 */
export function isTesseraError(value: unknown, code?: ErrorCode): value is TesseraError {
  return value instanceof TesseraError && (code === undefined || value.code === code);
}

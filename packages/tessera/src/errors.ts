/**
 * The one error class of Tessera. Every refusal carries a stable string `code`; the HTTP
 * status and the public message follow from the code alone, so adapters never invent them.
 * The list of codes is mirrored in docs/errors.md and checked by a test.
 */

/** Every error code Tessera can produce, with its HTTP status. */
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

/** A stable error code: part of the public API. */
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

/** Options of a {@link TesseraError}. */
export interface TesseraErrorOptions {
  /** A public message; defaults to a fixed text per code. Never put input or secrets here. */
  message?: string;
  /** Seconds after which a retry may succeed (`rate_limited`, `unavailable`). */
  retryAfterSeconds?: number;
  /** The underlying error, kept for logs (never sent to clients). */
  cause?: unknown;
}

/**
 * The error every Tessera API throws.
 *
 * @example
 * ```ts
 * try { await auth.signIn(input) } catch (e) {
 *   if (e instanceof TesseraError && e.code === 'rate_limited') retryLater(e.retryAfterSeconds)
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

/** True when `value` is a {@link TesseraError}, optionally of one code. */
export function isTesseraError(value: unknown, code?: ErrorCode): value is TesseraError {
  return value instanceof TesseraError && (code === undefined || value.code === code);
}

/**
 * What the spec fixes, written down once for the tests (deliberately not imported from the
 * code, so that a test compares the code with the spec and not with itself).
 */

/** The spec's error codes and their statuses (SPEC.md, "HTTP API"). No internal_error. */
export const SPEC_ERRORS: Readonly<Record<string, number>> = Object.freeze({
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
  unsupported_media_type: 415,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
});

/** The session cookie's name with Secure (the default). */
export const SESSION_COOKIE = '__Host-tessera_session';
/** The refresh cookie's name with Secure (the default). */
export const REFRESH_COOKIE = '__Secure-tessera_refresh';

import { TesseraError } from '../errors.js';

/**
 * Every refusal of a token is a `TesseraError('unauthorized')` (or `token_expired`) with one
 * public message, so a client learns nothing about which check failed. The precise reason is
 * kept on the error's `cause` for logs and metrics; it is a fixed string, never token data.
 */

/** Why a token was refused: a closed list of fixed strings, safe to log and count. */
export type RefusalReason =
  | 'not_a_string'
  | 'too_large'
  | 'malformed'
  | 'bad_base64url'
  | 'bad_json'
  | 'not_an_object'
  | 'duplicate_member'
  | 'forbidden_member'
  | 'bad_alg'
  | 'bad_kid'
  | 'embedded_key'
  | 'crit'
  | 'b64'
  | 'jwe'
  | 'bad_typ'
  | 'unknown_kid'
  | 'alg_mismatch'
  | 'bad_signature'
  | 'bad_iss'
  | 'bad_aud'
  | 'bad_claim'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'ttl_too_long'
  | 'expired';

/** The `cause` of a token refusal: carries the reason without any token material. */
export class TokenRefusal extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason) {
    super(reason);
    this.name = 'TokenRefusal';
    this.reason = reason;
  }
}

/**
 * The error for a refused token: `token_expired` for `expired`, `unauthorized` otherwise.
 */
export function refuse(reason: RefusalReason): TesseraError {
  return new TesseraError(reason === 'expired' ? 'token_expired' : 'unauthorized', {
    cause: new TokenRefusal(reason),
  });
}

/** The internal reason of a token refusal, or undefined when `error` is not one. */
export function refusalReason(error: unknown): RefusalReason | undefined {
  if (!(error instanceof TesseraError)) return undefined;
  const cause = error.cause;
  return cause instanceof TokenRefusal ? cause.reason : undefined;
}

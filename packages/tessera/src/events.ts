import type { MailOutcome } from './mail/mail-queue.js';
import type { AuthMode, RevocationReason } from './stores/types.js';

/**
 * What Tessera reports as it works (the `onEvent` option): the server turns these into
 * Prometheus metrics and logs. Events carry ids, never credentials, passwords or emails in clear.
 *
 * @example
 * ```ts
 * import { createTessera } from 'tessera'
 * import type { TesseraEvent } from 'tessera'
 *
 * const counts = new Map<string, number>()
 * function onEvent(event: TesseraEvent): void {
 *   const key = event.type === 'sign_in' ? `sign_in:${event.outcome}` : event.type
 *   counts.set(key, (counts.get(key) ?? 0) + 1)
 * }
 * const auth = await createTessera({ store, issuer: 'https://auth.example.com', onEvent })
 * ```
 */
export type TesseraEvent =
  | { type: 'sign_in'; mode: AuthMode; outcome: 'success' | 'invalid_credentials' | 'rate_limited' | 'disabled' | 'unverified'; userId?: string; sessionId?: string; ip: string }
  | { type: 'sign_up'; userId: string }
  | { type: 'token_verification'; outcome: 'valid' | 'invalid' | 'expired' | 'revoked' }
  | { type: 'session_validation'; outcome: 'valid' | 'invalid' | 'expired' | 'revoked' }
  | { type: 'refresh'; outcome: 'rotated' | 'replayed_in_leeway' | 'invalid' }
  | { type: 'refresh_reuse_detected'; userId: string; sessionId: string }
  | { type: 'sessions_ended'; userId: string; sessionIds: readonly string[]; reason: RevocationReason }
  | { type: 'password_changed'; userId: string }
  | { type: 'password_hash'; seconds: number }
  | { type: 'rate_limited' }
  | { type: 'key_rotated'; kid: string }
  | { type: 'user_admin'; action: 'disabled' | 'enabled' | 'deleted'; userId: string }
  /** A queued account mail was handed to the mailer (`sent`), refused by it (`failed`), or not queued (`dropped`: the queue was full). */
  | ({ type: 'mail' } & MailOutcome)
  /**
   * One call of the store: `store` names its kind (`sqlite`, `postgres`, `redis`, `memory`…),
   * `op` the contract method; `ok` is false when the call failed (it then became `unavailable`).
   * Emitted only when an `onEvent` observer is configured.
   */
  | { type: 'store_operation'; store: string; op: string; seconds: number; ok: boolean };

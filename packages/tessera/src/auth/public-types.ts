import { isoTime } from '../iso-time.js';
import type { AuthMode } from '../stores/types.js';

/**
 * A user as the API shows it: what is safe to send to the client (no password hash, no
 * disabled flag), with times in ISO 8601.
 *
 * @example
 * ```ts
 * import type { PublicUser } from 'tessera'
 *
 * const user: PublicUser = await auth.register({ email: 'ada@example.com', password: 'correct horse battery staple' })
 * if (user.emailVerifiedAt === null) console.log(`${user.email} is not verified yet`)
 * ```
 */
export interface PublicUser {
  id: string;
  email: string;
  createdAt: string;
  /** When the email was verified (ISO 8601), or null while it is not. */
  emailVerifiedAt: string | null;
}

/**
 * A session record as the API shows it (`GET /auth/sessions`): one signed-in device, for a
 * "where you are signed in" list with a sign-out button per entry.
 *
 * @example
 * ```ts
 * import type { PublicSession } from 'tessera'
 *
 * async function devices(userId: string, currentSessionId: string): Promise<string[]> {
 *   const sessions: PublicSession[] = await auth.listSessions(userId, currentSessionId)
 *   return sessions.map((s) => `${s.device} (${s.ip}), last seen ${s.lastSeenAt}${s.current ? ', this device' : ''}`)
 * }
 * ```
 */
export interface PublicSession {
  id: string;
  mode: AuthMode;
  device: string;
  ip: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
}

/**
 * Facts about the current request, passed as strings by an adapter: the login throttle
 * counts failures per account and `ip`, and session records and the audit log keep both.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http'
 * import type { ClientInfo } from 'tessera'
 *
 * async function signIn(req: IncomingMessage, email: string, password: string) {
 *   const client: ClientInfo = { ip: req.socket.remoteAddress ?? 'unknown', userAgent: req.headers['user-agent'] }
 *   return auth.signIn({ email, password }, client)
 * }
 * ```
 */
export interface ClientInfo {
  ip: string;
  userAgent?: string | undefined;
}

/**
 * The result of a sign-in, in either mode: switch on `mode`. `setCookies` are ready
 * `Set-Cookie` values (the session cookie, or the refresh cookie).
 *
 * @example
 * ```ts
 * import type { SignInResult } from 'tessera'
 *
 * const result: SignInResult = await auth.signIn(
 *   { email: 'ada@example.com', password: 'correct horse battery staple', mode: 'jwt' },
 *   { ip: '203.0.113.7' },
 * )
 * if (result.mode === 'jwt') console.log(result.accessToken, `expires in ${result.expiresIn} s`)
 * else console.log(`session ${result.session.id} until ${result.session.expiresAt}`)
 * ```
 */
export type SignInResult =
  | { mode: 'session'; user: PublicUser; session: { id: string; expiresAt: string }; sessionToken: string; setCookies: string[] }
  | ({ mode: 'jwt'; user: PublicUser } & TokenPair);

/**
 * An access token with its refresh token (JWT mode), from a sign-in or a refresh. The
 * refresh token rotates: keep the new one, the one presented is spent.
 *
 * @example
 * ```ts
 * import type { TokenPair } from 'tessera'
 *
 * async function renew(refreshToken: string): Promise<TokenPair> {
 *   const pair = await auth.refresh(refreshToken, { ip: '203.0.113.7' })
 *   // Store pair.refreshToken for next time; send pair.accessToken as `Authorization: Bearer …`.
 *   return pair
 * }
 * ```
 */
export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  setCookies: string[];
  /** The session record (`sid`) the pair belongs to. */
  sessionId: string;
}

/**
 * Why a request is anonymous, for logs and for what to tell the user; the HTTP answer (401)
 * is the same for all.
 *
 * @example
 * ```ts
 * import type { AnonymousReason } from 'tessera'
 *
 * const hints: Record<AnonymousReason, string> = {
 *   no_credentials: 'Please sign in.',
 *   invalid: 'Please sign in again.',
 *   expired: 'Your session has expired.',
 *   revoked: 'You were signed out.',
 *   ambiguous: 'Send one credential, once.',
 * }
 * const result = await auth.authenticate({ cookie: 'tessera_session=abc.def' })
 * if (result.status === 'anonymous') console.log(hints[result.reason])
 * ```
 */
export type AnonymousReason = 'no_credentials' | 'invalid' | 'expired' | 'revoked' | 'ambiguous';

/**
 * The result of `authenticate`: a value, never an exception for a bad credential (a store
 * outage throws `unavailable`). Switch on `status`.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http'
 * import type { AuthResult } from 'tessera'
 *
 * async function whoIs(req: IncomingMessage): Promise<string> {
 *   const result: AuthResult = await auth.authenticate({ authorization: req.headers.authorization, cookie: req.headers.cookie })
 *   if (result.status === 'anonymous') return result.credentialSent ? `refused: ${result.reason}` : 'anonymous'
 *   const user = result.user ?? (await auth.getUser(result.userId)) // JWT mode carries only the id
 *   return `${user?.email} (${result.mode} until ${result.expiresAt})`
 * }
 * ```
 */
export type AuthResult =
  | {
      status: 'authenticated';
      mode: AuthMode;
      userId: string;
      /**
       * The user, when the check loaded it (session mode). A JWT is self-contained: in JWT
       * mode only `userId` is known without a store read (`getUser` fetches the rest).
       */
      user?: PublicUser;
      /** The session record's id (`sid`). */
      sessionId: string;
      /** When this credential stops working: the access token's `exp`, or the session's expiry. */
      expiresAt: string;
      /** Cookies to set (none today: session cookies carry their absolute lifetime). */
      setCookies: string[];
    }
  | {
      status: 'anonymous';
      reason: AnonymousReason;
      /** True when a credential was sent (the 401 then says `error="invalid_token"`). */
      credentialSent: boolean;
      /** Which credential was tried, if any. */
      mode?: AuthMode;
    };

/** Converts a stored user to its public form. */
export function toPublicUser(user: { id: string; email: string; createdAt: number; emailVerifiedAt: number | null }): PublicUser {
  return {
    id: user.id,
    email: user.email,
    createdAt: isoTime(user.createdAt),
    emailVerifiedAt: user.emailVerifiedAt === null ? null : isoTime(user.emailVerifiedAt),
  };
}

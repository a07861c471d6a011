import type { AuthMode } from '../stores/types.js';

/** A user as the API shows it. */
export interface PublicUser {
  id: string;
  email: string;
  createdAt: string;
  /** When the email was verified (ISO 8601), or null while it is not. */
  emailVerifiedAt: string | null;
}

/** A session record as the API shows it (`GET /auth/sessions`). */
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

/** Facts about the current request, passed as strings by an adapter. */
export interface ClientInfo {
  ip: string;
  userAgent?: string | undefined;
}

/** The result of a sign-in, in either mode. `setCookies` are ready `Set-Cookie` values. */
export type SignInResult =
  | { mode: 'session'; user: PublicUser; session: { id: string; expiresAt: string }; sessionToken: string; setCookies: string[] }
  | ({ mode: 'jwt'; user: PublicUser } & TokenPair);

/** An access token with its refresh token (JWT mode). */
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

/** Why a request is anonymous. */
export type AnonymousReason = 'no_credentials' | 'invalid' | 'expired' | 'revoked' | 'ambiguous';

/** The result of `authenticate`: a value, never an exception for a bad credential. */
export type AuthResult =
  | {
      status: 'authenticated';
      mode: AuthMode;
      userId: string;
      /**
       * The user, when the check loaded it (session mode). A JWT is self-contained: in JWT
       * mode only `userId` is known without a store read (`loadUser` fetches the rest).
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
    createdAt: new Date(user.createdAt).toISOString(),
    emailVerifiedAt: user.emailVerifiedAt === null ? null : new Date(user.emailVerifiedAt).toISOString(),
  };
}

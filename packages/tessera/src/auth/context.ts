import type { CookieNames } from '../http/cookies.js';
import type { PasswordHasher } from '../password/password-hasher.js';
import type { LoginThrottle } from '../ratelimit/login-throttle.js';
import type { RequestThrottle } from '../ratelimit/request-throttle.js';
import type { MailQueue } from '../mail/mail-queue.js';
import type { RevocationView } from '../revocation/revocation-view.js';
import type { ResolvedOptions } from '../options.js';
import type { SessionCheck, Store } from '../stores/types.js';
import type { PublicUser } from './public-types.js';
import type { RecentCache } from '../recent-cache.js';
import type { KeyManager } from './key-manager.js';
import type { VerifiedTokenCache } from '../jwt/verified-token-cache.js';

/** What every operation of the auth service shares. Internal. */
export interface AuthContext {
  readonly options: ResolvedOptions;
  /** The store, guarded: failures surface as `unavailable`. */
  readonly store: Store;
  readonly hasher: PasswordHasher;
  readonly throttle: LoginThrottle;
  readonly view: RevocationView;
  readonly keys: KeyManager;
  readonly cookieNames: CookieNames;
  /** Key that derives a refresh token's successor (see deriveSuccessorSecret). */
  readonly refreshDerivationKey: Uint8Array;
  /** Access tokens verified before (see VerifiedTokenCache for the safety rules). */
  readonly tokenCache: VerifiedTokenCache;
  /** When a store call last failed (ms); cached session checks stand down after it. */
  readonly storeHealth: { failedAt: number };
  /** Session records (and users) read within the last second, by whole credential. */
  readonly sessionCache: RecentCache<SessionCheck>;
  /** Users read within the last second, by id, as shown (for `/auth/me` in JWT mode). */
  readonly userCache: RecentCache<PublicUser>;
  /** The account mails' queue; null without a mailer. */
  readonly mail: MailQueue | null;
  /** Budgets of the requests that send mail (see request-throttle.ts). */
  readonly mailBudgets: MailBudgets;
}

/** The request budgets of the account flows. */
export interface MailBudgets {
  /** Password reset requests per account (by email, known or not). */
  readonly resetPerAccount: RequestThrottle;
  /** Password reset requests per client IP. */
  readonly resetPerIp: RequestThrottle;
  /** Verification mails per account. */
  readonly verification: RequestThrottle;
  /** Email change requests per account. */
  readonly emailChange: RequestThrottle;
  /**
   * Mail to one address that did not ask for it: email change links, by the new address
   * (several accounts could otherwise point their changes at one victim's mailbox).
   */
  readonly perRecipient: RequestThrottle;
  /** Verification mails of sign-ups per client IP (sign-ups of `victim+1@…`, `victim+2@…` fill one mailbox). */
  readonly signUpMailPerIp: RequestThrottle;
}

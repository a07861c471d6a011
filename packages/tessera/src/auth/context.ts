import type { CookieNames } from '../http/cookies.js';
import type { PasswordHasher } from '../password/password-hasher.js';
import type { LoginThrottle } from '../ratelimit/login-throttle.js';
import type { RevocationView } from '../revocation/revocation-view.js';
import type { ResolvedOptions } from '../options.js';
import type { SessionAndUser, Store, UserRecord } from '../stores/types.js';
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
  /** Session records (and users) read within the last second, by whole credential. */
  readonly sessionCache: RecentCache<SessionAndUser>;
  /** Users read within the last second, by id (for `/auth/me` in JWT mode). */
  readonly userCache: RecentCache<UserRecord>;
}

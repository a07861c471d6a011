// The public surface of `tessera`: named exports only. Stores and framework adapters live
// behind their own subpaths (tessera/sqlite, tessera/fastify, …) so their drivers stay optional.
export { createTessera } from './auth/tessera.js';
export type { Tessera } from './auth/tessera.js';
export type { TesseraOptions, ResolvedOptions } from './options.js';
export { TESSERA_DEFAULTS, TESSERA_OPTION_RANGES } from './options.js';
export type { AuthResult, AnonymousReason, ClientInfo, PublicSession, PublicUser, SignInResult, TokenPair } from './auth/public-types.js';
export type { AdminUser, UserPage } from './auth/admin.js';
export type { AuditListQuery, AuditPage, PublicAuditEntry } from './auth/audit.js';
export type { CredentialHeaders } from './auth/authenticate.js';
export { emailComparisonKey } from './auth/email-address.js';
export type { TesseraEvent } from './events.js';
export { TesseraError, ERROR_STATUS, isTesseraError } from './errors.js';
export type { ErrorCode, TesseraErrorOptions } from './errors.js';
export { ManualClock, systemClock, systemRandom } from './clock.js';
export type { Clock, RandomSource } from './clock.js';
export type {
  AccountTokenPurpose, AccountTokenRecord, AuditEntry, AuditQuery, AuditType, AuthMode, EndSessionsRequest, FailureCount,
  NewAuditEntry, NewOutboxMail, NewRevocation, OutboxMail, RefreshRotation, RevocationEntry, RevocationReason, SessionAndUser, SessionCheck,
  SessionRecord, SigningKeyRecord, Store, UserPageQuery, UserRecord,
} from './stores/types.js';
export { createOutboxMailer, OUTBOX_RETENTION_SECONDS } from './mail/mailer.js';
export type { Mailer, MailMessage, OutboxMailerOptions } from './mail/mailer.js';
export type { MailKind, MailOutcome } from './mail/mail-queue.js';
export { createArgon2Hasher } from './password/password-hasher.js';
export type { PasswordHasher } from './password/password-hasher.js';
export { AUTH_ROUTES, runAuthRoute } from './http/auth-routes.js';
export type { AuthRoute } from './http/auth-routes.js';
export type { HttpRequestInfo, HttpResponse } from './http/http-types.js';
export { parseQuery } from './http/query.js';
export type { QueryParams } from './http/query.js';
export { errorResponse, bearerChallenge } from './http/error-response.js';
export { checkOrigin } from './http/route-kit.js';
export { clientIp } from './http/client-ip.js';
export { withEveryAuthorization } from './http/raw-headers.js';
export { cookieNames } from './http/cookies.js';
export type { CookieNames } from './http/cookies.js';
export type { ClusterBus, ClusterMessage } from './revocation/cluster-bus.js';

import type { ClusterBus, Mailer, Store, TesseraOptions } from 'tessera';
import type { ServerConfig } from './config.js';

/**
 * The options of `createTessera` that follow from a server configuration: one mapping for
 * `tessera serve` and for every CLI command, so both behave alike on the same stores.
 */
export function tesseraOptionsFrom(config: ServerConfig, store: Store, clusterBus: ClusterBus | undefined, mailer: Mailer): TesseraOptions {
  return {
    store,
    ...(clusterBus ? { clusterBus } : {}),
    issuer: config.issuer,
    audience: config.audience,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshReuseLeewaySeconds: config.refreshReuseLeewaySeconds,
    sessionIdleTimeoutSeconds: config.sessionIdleTimeoutSeconds,
    sessionAbsoluteTimeoutSeconds: config.sessionAbsoluteTimeoutSeconds,
    sessionCacheMaxAgeMs: config.sessionCacheSeconds * 1000,
    jwtAlgorithm: config.jwtAlgorithm,
    clockToleranceSeconds: config.clockToleranceSeconds,
    cookieSecure: config.cookieSecure,
    trustedOrigins: config.trustedOrigins,
    loginMaxFailures: config.loginMaxFailures,
    passwordMinLength: config.passwordMinLength,
    mailer,
    requireVerifiedEmail: config.requireVerifiedEmail,
    passwordResetTtlSeconds: config.passwordResetTtlSeconds,
    emailVerificationTtlSeconds: config.emailVerificationTtlSeconds,
  };
}

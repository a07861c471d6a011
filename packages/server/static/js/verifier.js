// The in-page stateless verifier: what a third-party service that only has the JWKS decides.
import { loadConfig } from './config.js';
import { findServerKey, inspectToken } from './jwt.js';

/** Inspects `token` against this server's JWKS, issuer, audience and lifetimes, now. */
export async function verifyWithJwks(token) {
  const config = await loadConfig();
  return inspectToken(token, {
    findKey: findServerKey,
    issuer: config.issuer,
    audience: config.audience,
    nowSeconds: Math.floor(Date.now() / 1000),
    clockToleranceSeconds: config.clockToleranceSeconds,
    maxTtlSeconds: config.accessTokenTtlSeconds,
    subtle: crypto.subtle,
  });
}

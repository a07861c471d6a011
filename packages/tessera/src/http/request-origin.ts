import { TesseraError } from '../errors.js';

/**
 * CSRF defence for credentialed state-changing requests (OWASP CSRF cheat sheet: "verifying
 * origin with standard headers" plus Fetch Metadata). SameSite=Lax already stops most
 * cross-site POSTs; this check also covers same-site attackers (a sibling subdomain), which
 * SameSite does not, and sign-in itself (login CSRF).
 */

/** What the origin check needs from a request: strings only. */
export interface OriginCheckInput {
  method: string;
  origin: string | undefined;
  secFetchSite: string | undefined;
  /** The origin this server is reached at (scheme://host[:port]), from the Host header. */
  ownOrigin: string | undefined;
  trustedOrigins: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** GET, HEAD or OPTIONS, in any case: methods that must not change state, so never refused. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method) || SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Throws `forbidden` when a state-changing request comes from another site. A request with
 * no `Origin` and no `Sec-Fetch-Site` is not from a browser (browsers send `Origin` on every
 * POST), so it cannot be a CSRF and is allowed: curl and server-to-server calls keep working.
 */
export function assertSameOrigin(input: OriginCheckInput): void {
  if (isSafeMethod(input.method)) return;
  const site = input.secFetchSite?.toLowerCase();
  if (site === 'cross-site' || site === 'same-site') {
    // A trusted origin on another site may still call us; Origin decides below.
    if (input.origin === undefined || !input.trustedOrigins.includes(input.origin)) {
      throw new TesseraError('forbidden', { message: 'Cross-site requests are not allowed.' });
    }
  }
  if (input.origin === undefined) return;
  if (input.origin === 'null') throw new TesseraError('forbidden', { message: 'Cross-site requests are not allowed.' });
  const origin = canonicalOrigin(input.origin);
  if (origin !== undefined && (origin === input.ownOrigin || input.trustedOrigins.includes(origin))) return;
  throw new TesseraError('forbidden', { message: 'Cross-site requests are not allowed.' });
}

/**
 * An Origin header in canonical form (`https://a.example:443` → `https://a.example`), or
 * undefined when it is not a bare http(s) origin.
 */
function canonicalOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
    return bare && (url.protocol === 'http:' || url.protocol === 'https:') ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The origin a request was addressed to, from its scheme and Host header. */
export function originOf(protocol: 'http' | 'https', host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`${protocol}://${host}`).origin;
  } catch {
    return undefined;
  }
}

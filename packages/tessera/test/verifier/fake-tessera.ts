/**
 * A fake Tessera for the remote verifier's unit tests: serves a JWKS built from real keys and
 * a revocation feed the test controls, through an injected `fetch`, and counts every call.
 * Time is a ManualClock, so no test sleeps.
 */
import { ManualClock } from '../../src/clock.js';
import { signAccessToken } from '../../src/jwt/access-token.js';
import type { AccessTokenClaims } from '../../src/jwt/access-token.js';
import type { JwsAlgorithm } from '../../src/jwt/algorithms.js';
import { generateSigningKey, KeyRing } from '../../src/jwt/key-ring.js';
import type { SigningKeyRecord, RevocationEntry } from '../../src/stores/types.js';
import { createRemoteVerifier } from '../../src/verifier/remote-verifier.js';
import type { FetchFunction, RemoteVerifier, RemoteVerifierOptions } from '../../src/verifier/remote-verifier.js';
import { TEST_NOW_SECONDS, TEST_VERIFY, validClaims } from '../jwt/attack-tokens.js';

export const SERVICE_KEY = `svc_${'k'.repeat(40)}`;
export const ISSUER = TEST_VERIFY.issuer;
export const JWKS_PATH = '/.well-known/jwks.json';
export const FEED_PATH = '/auth/revocations';

/** Options for tests: timers far slower than any test, so only the test drives polls. */
export const QUIET = { pollIntervalMs: 59_000, maxLagSeconds: 60, jwksRefreshIntervalMs: 3_600_000 } as const;

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
}

export class FakeTessera {
  readonly clock = new ManualClock(TEST_NOW_SECONDS * 1000);
  /** The JWKS document served (replace it to publish or remove keys, or to serve garbage). */
  jwks: unknown = { keys: [] };
  readonly entries: RevocationEntry[] = [];
  feedDown = false;
  jwksDown = false;
  /** Path of every call, in order. */
  readonly calls: string[] = [];
  /** Authorization headers the feed received. */
  readonly feedAuthorizations: (string | null)[] = [];
  #seq = 0;
  readonly verifiers: RemoteVerifier[] = [];

  readonly fetch: FetchFunction = async (input, init) => {
    const url = new URL(String(input));
    this.calls.push(url.pathname);
    if (url.pathname === JWKS_PATH) {
      if (this.jwksDown) throw new TypeError('fetch failed');
      return json(this.jwks);
    }
    if (url.pathname === FEED_PATH) {
      if (this.feedDown) throw new TypeError('fetch failed');
      const authorization = new Headers(init?.headers).get('authorization');
      this.feedAuthorizations.push(authorization);
      if (authorization !== `Bearer ${SERVICE_KEY}`) return json({ error: { code: 'unauthorized', message: 'A service key is required.' } }, 401);
      const since = Number(url.searchParams.get('since') ?? '0');
      const page = this.entries.filter((e) => e.seq > since).slice(0, 1000);
      return json({ revocations: page, cursor: String(page.at(-1)?.seq ?? since) });
    }
    return json({ error: { code: 'not_found', message: 'Not found.' } }, 404);
  };

  /** Appends a feed entry (times in ms, default: now, expiring in 15 minutes). */
  revoke(kind: RevocationEntry['kind'], subject: string, at = this.clock.nowMs()): RevocationEntry {
    const entry = { seq: ++this.#seq, kind, subject, at, expiresAt: at + 900_000 };
    this.entries.push(entry);
    return entry;
  }

  count(path: string): number {
    return this.calls.filter((p) => p === path).length;
  }

  /** A verifier against this fake (stopped by {@link stopAll}). */
  verifier(options: Partial<RemoteVerifierOptions> = {}): RemoteVerifier {
    const v = createRemoteVerifier({
      issuer: ISSUER,
      audience: TEST_VERIFY.audience,
      serviceKey: SERVICE_KEY,
      clockToleranceSeconds: TEST_VERIFY.clockToleranceSeconds,
      maxTtlSeconds: TEST_VERIFY.maxTtlSeconds,
      fetch: this.fetch,
      clock: this.clock,
      ...QUIET,
      ...options,
    });
    this.verifiers.push(v);
    return v;
  }

  stopAll(): void {
    for (const v of this.verifiers) v.stop();
  }
}

/** A signing key usable now, and its ring. */
export async function makeKey(alg: JwsAlgorithm = 'EdDSA', nowMs = TEST_NOW_SECONDS * 1000): Promise<{ record: SigningKeyRecord; ring: KeyRing }> {
  const record = await generateSigningKey(alg, nowMs - 600_000);
  return { record, ring: new KeyRing([record]) };
}

/** A token signed by the ring's key, from valid claims with `changes`. */
export function tokenFor(ring: KeyRing, changes: Partial<AccessTokenClaims> = {}, nowSeconds = TEST_NOW_SECONDS): string {
  return signAccessToken({ ...validClaims(nowSeconds), ...changes }, ring.signingKey(nowSeconds * 1000));
}

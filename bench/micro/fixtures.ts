import { createPrivateKey, createSecretKey, randomBytes } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { Tessera } from '../../packages/tessera/src/auth/tessera.js';
import type { TesseraOptions } from '../../packages/tessera/src/options.js';
import type { AccessTokenClaims } from '../../packages/tessera/src/jwt/access-token.js';
import type { KeyRing, SigningKey, VerificationKey } from '../../packages/tessera/src/jwt/key-ring.js';
import type { Store } from '../../packages/tessera/src/stores/types.js';
import { keyRing, passwordHasher, tessera } from '../lib/built.js';
import type { Alg } from './floor.js';

/** Shared fixtures of the micro benchmarks: one key per algorithm, claims, a Tessera per store. */

export const ISSUER = 'https://auth.example.com';
export const PASSWORD = 'correct horse battery staple bench';

export interface KeyFixture {
  alg: Alg;
  ring: KeyRing;
  signing: SigningKey;
  verification: VerificationKey;
  /** What PEM-or-secret libraries (fast-jwt) take. */
  publicMaterial: string | Buffer;
  privateMaterial: string | Buffer;
  privateKey: KeyObject;
}

export async function keyFixture(alg: Alg): Promise<KeyFixture> {
  const nowMs = Date.now();
  const record = await keyRing.generateSigningKey(alg, nowMs - 1000);
  const ring = new keyRing.KeyRing([record]);
  const signing = ring.signingKey(nowMs);
  const verification = ring.verificationKey(record.kid, nowMs)!;
  if (alg === 'HS256') {
    const secret = Buffer.from((JSON.parse(record.privateJwk) as { k: string }).k, 'base64url');
    return { alg, ring, signing, verification, publicMaterial: secret, privateMaterial: secret, privateKey: createSecretKey(secret) };
  }
  const privateKey = createPrivateKey({ key: JSON.parse(record.privateJwk) as JsonWebKey, format: 'jwk' });
  return {
    alg,
    ring,
    signing,
    verification,
    publicMaterial: verification.key.export({ type: 'spki', format: 'pem' }) as string,
    privateMaterial: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    privateKey,
  };
}

const id = (): string => randomBytes(16).toString('base64url');

/** Claims of Tessera's shape, valid for 900 s from now. */
export function accessClaims(): AccessTokenClaims {
  const iat = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: ISSUER, sub: id(), sid: id(), client_id: 'tessera', iat, exp: iat + 900, jti: id() };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A cheap hasher: the micro benchmarks sign in once, the argon2 cost is measured on its own. */
export const cheapHasher = (): ReturnType<typeof passwordHasher.createArgon2Hasher> => passwordHasher.createArgon2Hasher({ memoryKiB: 1024, timeCost: 1 });

/** Session cache off: every cookie check reads the store (what the store's own cost is). */
export const NO_SESSION_CACHE: Partial<TesseraOptions> = { sessionCacheMaxAgeMs: 0 };
/** The opt-in session cache, as TESSERA_SESSION_CACHE=1 sets it. */
export const ONE_SECOND_SESSION_CACHE: Partial<TesseraOptions> = { sessionCacheMaxAgeMs: 1000 };

/** A Tessera on `store` (migrated here) with one registered user. */
export async function signedInTessera(
  store: Store,
  alg: Alg = 'EdDSA',
  extra: Partial<TesseraOptions> = {},
): Promise<{ auth: Tessera; email: string }> {
  const email = `bench-${id()}@example.com`;
  await store.migrate();
  const auth = await tessera.createTessera({ store, issuer: ISSUER, jwtAlgorithm: alg, passwordHasher: cheapHasher(), loginMaxFailures: 1_000_000, ...extra });
  await auth.register({ email, password: PASSWORD });
  return { auth, email };
}

/** Headers that authenticate in `mode` on `auth` (a fresh sign-in). */
export async function credentialHeaders(auth: Tessera, email: string, mode: 'session' | 'jwt'): Promise<{ cookie?: string; authorization?: string }> {
  const result = await auth.signIn({ email, password: PASSWORD, mode }, { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' });
  if (result.mode === 'session') return { cookie: `${auth.cookieNames.session}=${result.sessionToken}` };
  return { authorization: `Bearer ${result.accessToken}` };
}

/** Throws unless `headers` authenticate: a benchmark of a refusal would measure the wrong path. */
export async function assertAuthenticated(auth: Tessera, headers: { cookie?: string; authorization?: string }, what: string): Promise<void> {
  const result = await auth.authenticate(headers);
  if (result.status !== 'authenticated') throw new Error(`${what}: authenticate() refused the credential (${result.reason}).`);
}

import { createPrivateKey, createPublicKey, createSecretKey } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, generateSecret } from 'jose';
import { systemRandom } from '../clock.js';
import type { RandomSource } from '../clock.js';
import { decodeBase64url, encodeBase64url } from '../crypto/base64url.js';
import { TesseraError } from '../errors.js';
import type { SigningKeyRecord } from '../stores/types.js';
import { assertKeyFitsAlgorithm, isJwsAlgorithm } from './algorithms.js';
import type { JwsAlgorithm } from './algorithms.js';

/**
 * The signing keys of one deployment, imported once into node:crypto KeyObjects.
 *
 * Lifecycle of a key (all times in ms): from `createdAt` it is published in the JWKS, so that
 * relying parties caching the JWKS know it before any token carries it; from `activatesAt` it
 * signs; at `retiresAt` a newer key takes over; at `expiresAt` (retirement + access-token TTL
 * + clock tolerance: the last token it signed has expired) it leaves the JWKS and stops
 * verifying.
 */

/** A key that signs: private (or secret) KeyObject, bound to one algorithm. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: JwsAlgorithm;
  readonly key: KeyObject;
}

/** A key that verifies: public (or secret) KeyObject, bound to one algorithm. */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: JwsAlgorithm;
  readonly key: KeyObject;
}

/** Finds the verification key of a `kid` at a time (ms); undefined when unknown or expired. */
export type KeyLookup = (kid: string, nowMs: number) => VerificationKey | undefined;

/**
 * A public JWK as published in the JWKS (RFC 7517 §4): no private member, ever. A type alias
 * rather than an interface so that it is assignable to node's and jose's JWK types.
 */
export type PublicJwk = {
  readonly kid: string;
  readonly alg: JwsAlgorithm;
  readonly use: 'sig';
  readonly kty: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
};

/** A JWK Set document (RFC 7517 §5). */
export interface Jwks {
  keys: PublicJwk[];
}

/** Members of a public JWK, copied by name so that no private member can slip through. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/** Bytes of a random HS256 kid: 128 bits. Secret keys have no thumbprint to publish. */
const SECRET_KID_BYTES = 16;

/** The lifecycle times of a record, copied so that later mutation of the record has no effect. */
type KeyTimes = Pick<SigningKeyRecord, 'createdAt' | 'activatesAt' | 'retiresAt' | 'expiresAt'>;

interface RingEntry {
  readonly times: Readonly<KeyTimes>;
  readonly signing: SigningKey;
  readonly verification: VerificationKey;
  readonly publicJwk: PublicJwk | null;
}

/**
 * Generates a signing key record: a fresh key pair (Ed25519, P-256, RSA 2048) or a 256-bit
 * HS256 secret. The kid of an asymmetric key is its RFC 7638 thumbprint, so any party can
 * recompute it; an HS256 kid is 128 random bits. The key signs from `activatesAtMs`
 * (default: now) and is published from now.
 */
export async function generateSigningKey(
  alg: JwsAlgorithm,
  nowMs: number,
  activatesAtMs: number = nowMs,
  random: RandomSource = systemRandom,
): Promise<SigningKeyRecord> {
  let kid: string;
  let publicJwk: string | null;
  let privateJwk: string;
  if (alg === 'HS256') {
    const secret = await generateSecret('HS256', { extractable: true });
    privateJwk = JSON.stringify(await exportJWK(secret));
    publicJwk = null;
    kid = encodeBase64url(random.bytes(SECRET_KID_BYTES));
  } else {
    const pair = await generateKeyPair(alg, alg === 'RS256' ? { extractable: true, modulusLength: 2048 } : { extractable: true });
    const pub = await exportJWK(pair.publicKey);
    privateJwk = JSON.stringify(await exportJWK(pair.privateKey));
    publicJwk = JSON.stringify(pub);
    kid = await calculateJwkThumbprint(pub, 'sha256');
  }
  return { kid, alg, publicJwk, privateJwk, createdAt: nowMs, activatesAt: activatesAtMs, retiresAt: null, expiresAt: null };
}

/**
 * The key ring: imports each record once, then answers which key signs now, which key
 * verifies a kid, and what the JWKS publishes. Build a new ring when the records change.
 */
export class KeyRing {
  readonly #byKid: Map<string, RingEntry>;
  /** Newest first: by `activatesAt`, then `createdAt`. */
  readonly #newestFirst: readonly RingEntry[];

  /**
   * The verification lookup to pass to `verifyAccessToken`, bound once so that no closure is
   * created per request.
   */
  readonly lookup: KeyLookup;

  /**
   * Imports `records`. Throws a `TypeError` for an unknown algorithm, a key that does not fit
   * its algorithm, a duplicate kid, or a public JWK that does not match the private key.
   */
  constructor(records: readonly SigningKeyRecord[]) {
    this.#byKid = new Map();
    for (const record of records) {
      if (this.#byKid.has(record.kid)) throw new TypeError('Duplicate kid in the key ring.');
      this.#byKid.set(record.kid, importRecord(record));
    }
    this.#newestFirst = [...this.#byKid.values()].sort(
      (a, b) => b.times.activatesAt - a.times.activatesAt || b.times.createdAt - a.times.createdAt,
    );
    this.lookup = (kid, nowMs) => this.verificationKey(kid, nowMs);
  }

  /**
   * The key that signs at `nowMs`: the newest with `activatesAt <= now` and no `retiresAt`
   * at or before now. Throws `TesseraError('unavailable')` when there is none.
   */
  signingKey(nowMs: number): SigningKey {
    for (const entry of this.#newestFirst) {
      const { activatesAt, retiresAt } = entry.times;
      if (activatesAt <= nowMs && (retiresAt === null || retiresAt > nowMs)) return entry.signing;
    }
    // The clock went back before every key's activation: keep signing with the newest key
    // not retired. It is ours and was published long ago (the lead only protects verifiers'
    // caches); refusing every sign-in until the clock catches up protects no one.
    const fallback = this.#newestFirst.find((entry) => entry.times.retiresAt === null);
    if (fallback) return fallback.signing;
    throw new TesseraError('unavailable', { cause: new Error('No signing key is active.') });
  }

  /**
   * The key that verifies tokens carrying `kid` at `nowMs`, or undefined when the kid is
   * unknown or the key expired. `kid` is only ever used as a Map key.
   */
  verificationKey(kid: string, nowMs: number): VerificationKey | undefined {
    const entry = this.#byKid.get(kid);
    if (entry === undefined) return undefined;
    const { expiresAt } = entry.times;
    return expiresAt === null || expiresAt > nowMs ? entry.verification : undefined;
  }

  /**
   * The JWKS at `nowMs`: the public JWK of each asymmetric key created at or before now and
   * not expired, including keys not yet signing (publish before use). HS256 keys are never
   * published.
   */
  jwks(nowMs: number): Jwks {
    const keys: PublicJwk[] = [];
    for (const entry of this.#newestFirst) {
      const { expiresAt } = entry.times;
      // Every stored, unexpired key is published, whatever its createdAt: publishing one of our
      // keys early is harmless, and a clock that went back must not empty the JWKS.
      if (entry.publicJwk !== null && (expiresAt === null || expiresAt > nowMs)) {
        keys.push(entry.publicJwk);
      }
    }
    return { keys };
  }
}

/**
 * Parses a stored JWK. A corrupt record is reported by its kid only: the JSON parser's message
 * quotes the text around the fault, which may be private key material, and it would reach the
 * start-up error a server prints.
 */
function storedJwk(json: string, kid: string): JsonWebKey {
  try {
    const value: unknown = JSON.parse(json);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as JsonWebKey;
  } catch {
    // Reported below, without the parser's message.
  }
  throw new TypeError(`The stored signing key ${kid} is not a JSON object (its text is not shown).`);
}

/** Imports one record into KeyObjects, checking that it is coherent. */
function importRecord(record: SigningKeyRecord): RingEntry {
  const { kid, alg } = record;
  const times: KeyTimes = Object.freeze({
    createdAt: record.createdAt,
    activatesAt: record.activatesAt,
    retiresAt: record.retiresAt,
    expiresAt: record.expiresAt,
  });
  if (!isJwsAlgorithm(alg)) throw new TypeError('Unsupported signing key algorithm.');
  if (typeof kid !== 'string' || kid.length === 0) throw new TypeError('A signing key needs a kid.');
  const jwk = storedJwk(record.privateJwk, kid);
  if (alg === 'HS256') {
    if (jwk.kty !== 'oct') throw new TypeError('An HS256 key must be an oct JWK.');
    const bytes = typeof jwk.k === 'string' ? decodeBase64url(jwk.k) : null;
    if (bytes === null) throw new TypeError('An HS256 key must be an oct JWK.');
    const secret = createSecretKey(bytes);
    assertKeyFitsAlgorithm(alg, secret);
    const key = { kid, alg, key: secret };
    return { times, signing: key, verification: key, publicJwk: null };
  }
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  assertKeyFitsAlgorithm(alg, privateKey);
  // The public key is derived from the private one, so the JWKS can never publish a key
  // that does not verify our signatures, nor any private member of a mis-stored record.
  const publicKey = createPublicKey(privateKey);
  const derived = publicKey.export({ format: 'jwk' });
  if (record.publicJwk !== null) {
    const stored = storedJwk(record.publicJwk, kid);
    if (PUBLIC_MEMBERS.some((m) => stored[m] !== derived[m])) {
      throw new TypeError('The public JWK does not match the private key.');
    }
  }
  const publicJwk: Record<string, string> = { kid, alg, use: 'sig' };
  for (const member of PUBLIC_MEMBERS) {
    const value = derived[member];
    if (typeof value === 'string') publicJwk[member] = value;
  }
  return {
    times,
    signing: { kid, alg, key: privateKey },
    verification: { kid, alg, key: publicKey },
    publicJwk: Object.freeze(publicJwk) as unknown as PublicJwk,
  };
}

// Rotation planning lives in its own module; re-exported here because it is part of the
// key ring's API.
export { planRotation } from './key-rotation.js';
export type { KeyRetirement, PlannedKey, RotationOptions, RotationPlan } from './key-rotation.js';

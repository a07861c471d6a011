import type { SigningKeyRecord } from '../stores/types.js';
import type { JwsAlgorithm } from './algorithms.js';

/**
 * Rotation of signing keys, as a pure decision over the stored records (no I/O, no clock), so
 * that its timing can be tested exactly and applied by any store.
 *
 * The new key is published at once but signs only after `publishLeadSeconds`, so relying
 * parties that cache the JWKS learn it before the first token carries it. The current key
 * signs until that same instant, then stays published until the last token it signed has
 * expired: retirement + access-token TTL + clock tolerance.
 */

/** Timing inputs of a rotation, in seconds. */
export interface RotationOptions {
  /** Lifetime of an access token. */
  accessTokenTtlSeconds: number;
  /** Leeway verifiers grant on `exp`. */
  clockToleranceSeconds: number;
  /** How long the new key is published before it signs (longer than relying parties' JWKS cache). */
  publishLeadSeconds: number;
}

/** The new key a rotation creates (times in ms). */
export interface PlannedKey {
  alg: JwsAlgorithm;
  createdAt: number;
  activatesAt: number;
}

/** The change a rotation makes to an existing key (times in ms). */
export interface KeyRetirement {
  kid: string;
  retiresAt: number;
  expiresAt: number;
}

/**
 * What a rotation does: insert (or first generate) {@link RotationPlan.newKey}, then apply
 * {@link RotationPlan.changes} to the existing keys.
 */
export interface RotationPlan<K extends PlannedKey = PlannedKey> {
  newKey: K;
  changes: KeyRetirement[];
}

/**
 * Plans a rotation at `nowMs`. The new key is either an algorithm (the plan then says when the
 * key to generate is created and activates) or an already generated record (returned with
 * `createdAt` = now and `activatesAt` = now + publish lead, ready to insert). Every existing key
 * that would still sign after the new key activates (no `retiresAt`, or a later one) and has
 * not expired retires at that activation and expires `accessTokenTtl + clockTolerance` later.
 *
 * @example
 * ```ts
 * const fresh = await generateSigningKey('EdDSA', now)
 * const plan = planRotation(await store.listSigningKeys(), fresh, now, options)
 * await store.insertSigningKey(plan.newKey)
 * for (const c of plan.changes) await store.updateSigningKey(c.kid, c)
 * ```
 */
export function planRotation(
  records: readonly SigningKeyRecord[],
  newKey: JwsAlgorithm,
  nowMs: number,
  options: RotationOptions,
): RotationPlan;
export function planRotation(
  records: readonly SigningKeyRecord[],
  newKey: SigningKeyRecord,
  nowMs: number,
  options: RotationOptions,
): RotationPlan<SigningKeyRecord>;
export function planRotation(
  records: readonly SigningKeyRecord[],
  newKey: JwsAlgorithm | SigningKeyRecord,
  nowMs: number,
  options: RotationOptions,
): RotationPlan<PlannedKey | SigningKeyRecord> {
  const { accessTokenTtlSeconds, clockToleranceSeconds, publishLeadSeconds } = options;
  for (const value of [accessTokenTtlSeconds, clockToleranceSeconds, publishLeadSeconds]) {
    if (!Number.isFinite(value) || value < 0) throw new TypeError('Rotation timings must be finite and non-negative.');
  }
  const activatesAt = nowMs + publishLeadSeconds * 1000;
  const expiresAt = activatesAt + (accessTokenTtlSeconds + clockToleranceSeconds) * 1000;
  const changes: KeyRetirement[] = [];
  for (const record of records) {
    if (typeof newKey !== 'string' && record.kid === newKey.kid) continue;
    const expired = record.expiresAt !== null && record.expiresAt <= nowMs;
    const signsPastActivation = record.retiresAt === null || record.retiresAt > activatesAt;
    if (!expired && signsPastActivation) changes.push({ kid: record.kid, retiresAt: activatesAt, expiresAt });
  }
  const planned =
    typeof newKey === 'string'
      ? { alg: newKey, createdAt: nowMs, activatesAt }
      : { ...newKey, createdAt: nowMs, activatesAt, retiresAt: null, expiresAt: null };
  return { newKey: planned, changes };
}

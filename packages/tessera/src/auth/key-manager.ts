import { generateSigningKey, KeyRing, planRotation } from '../jwt/key-ring.js';
import type { ResolvedOptions } from '../options.js';
import type { SigningKeyRecord } from '../stores/types.js';

/** Seconds a new key is published in the JWKS before it signs (verifiers' caches catch up). */
export const KEY_PUBLISH_LEAD_SECONDS = 60;

/**
 * Owns the key ring: loads it from the store once, creates the first key on first start,
 * rotates on request. Keys are imported into KeyObjects once per change, never per request.
 */
export class KeyManager {
  readonly #options: ResolvedOptions;
  #ring: KeyRing = new KeyRing([]);
  #records: SigningKeyRecord[] = [];

  readonly #onChange: () => void;

  /** `onChange` runs whenever the ring is rebuilt (caches of verified tokens must be dropped). */
  constructor(options: ResolvedOptions, onChange: () => void = () => {}) {
    this.#options = options;
    this.#onChange = onChange;
  }

  get ring(): KeyRing {
    return this.#ring;
  }

  get records(): readonly SigningKeyRecord[] {
    return this.#records;
  }

  /** Loads the keys; creates one for the configured algorithm if none can sign now. */
  async load(): Promise<void> {
    await this.reload();
    const now = this.#options.clock.nowMs();
    const canSign = this.#records.some((k) => k.alg === this.#options.jwtAlgorithm && k.activatesAt <= now && (k.retiresAt === null || k.retiresAt > now));
    if (!canSign) {
      // The first key of a deployment signs at once: there are no verifiers to warn yet.
      const key = await generateSigningKey(this.#options.jwtAlgorithm, now);
      await this.#options.store.insertSigningKey({ ...key, activatesAt: now });
      await this.reload();
    }
  }

  /** Re-reads the keys from the store (after a rotation elsewhere, or an unknown kid). */
  async reload(): Promise<void> {
    this.#records = await this.#options.store.listSigningKeys();
    this.#ring = new KeyRing(this.#records);
    this.#onChange();
  }

  /**
   * Rotates: a new key is published now and signs after the publish lead; the current key
   * stops signing then and leaves the JWKS once the last token it signed has expired.
   */
  async rotate(dryRun = false): Promise<{ newKey: SigningKeyRecord; changes: Array<{ kid: string; retiresAt: number | null; expiresAt: number | null }> }> {
    const now = this.#options.clock.nowMs();
    const newKey = await generateSigningKey(this.#options.jwtAlgorithm, now);
    const plan = planRotation(this.#records, newKey, now, {
      accessTokenTtlSeconds: this.#options.accessTokenTtlSeconds,
      clockToleranceSeconds: this.#options.clockToleranceSeconds,
      publishLeadSeconds: KEY_PUBLISH_LEAD_SECONDS,
    });
    if (!dryRun) {
      await this.#options.store.insertSigningKey(plan.newKey);
      for (const c of plan.changes) await this.#options.store.updateSigningKey(c.kid, { retiresAt: c.retiresAt, expiresAt: c.expiresAt });
      await this.reload();
      this.#options.onEvent({ type: 'key_rotated', kid: plan.newKey.kid });
    }
    return plan;
  }
}

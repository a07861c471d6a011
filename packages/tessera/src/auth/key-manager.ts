import { generateSigningKey, KeyRing, planRotation } from '../jwt/key-ring.js';
import type { ResolvedOptions } from '../options.js';
import type { SigningKeyRecord } from '../stores/types.js';
import { TesseraError } from '../errors.js';

/** Seconds a new key is published in the JWKS before it signs (verifiers' caches catch up). */
export const KEY_PUBLISH_LEAD_SECONDS = 60;
/** Minimum time between key reloads triggered by an unknown `kid` (a flood of forged kids must not become a flood of store reads). */
export const UNKNOWN_KID_RELOAD_COOLDOWN_MS = 10_000;
const ROTATION_LEASE = 'key-rotation';
const ROTATION_LEASE_MS = 60_000;

/**
 * Owns the key ring: loads it from the store once, creates the first key on first start,
 * rotates on request. Keys are imported into KeyObjects once per change, never per request.
 */
export class KeyManager {
  readonly #options: ResolvedOptions;
  #ring: KeyRing = new KeyRing([]);
  #records: SigningKeyRecord[] = [];

  readonly #onChange: () => void;
  readonly #instanceId: string;
  #lastReloadAt = 0;
  #reloading: Promise<void> | undefined;

  /** `onChange` runs whenever the ring is rebuilt (caches of verified tokens must be dropped). */
  constructor(options: ResolvedOptions, instanceId: string, onChange: () => void = () => {}) {
    this.#options = options;
    this.#instanceId = instanceId;
    this.#onChange = onChange;
  }

  get ring(): KeyRing {
    return this.#ring;
  }

  get records(): readonly SigningKeyRecord[] {
    return this.#records;
  }

  /**
   * Loads the keys; creates one, of the configured algorithm and signing at once, only when no
   * key of any algorithm can sign now (the first start of a deployment, or every key retired).
   * A configured algorithm that differs from the signing key's applies from the next rotation:
   * a start (or a CLI command run with other settings) never switches keys on its own, which
   * would skip the publish lead and leave the old keys unretired.
   */
  async load(): Promise<void> {
    await this.reload();
    const { store, clock } = this.#options;
    // Instances of a new deployment may start together: only the holder of the rotation lease
    // creates the first key, the others wait for it (else each would sign with a key of its
    // own that its peers do not know yet).
    for (let attempt = 0; !this.#canSign(); attempt++) {
      if (attempt >= 100) throw new TesseraError('unavailable', { message: 'No signing key could be created or loaded.' });
      const now = clock.nowMs();
      if (await store.tryAcquireLease(ROTATION_LEASE, this.#instanceId, now, now + ROTATION_LEASE_MS)) {
        try {
          await this.reload();
          if (!this.#canSign()) {
            // The first key of a deployment signs at once: there are no verifiers to warn yet.
            const key = await generateSigningKey(this.#options.jwtAlgorithm, now);
            await store.insertSigningKey({ ...key, activatesAt: now });
            await this.reload();
          }
        } finally {
          await store.releaseLease(ROTATION_LEASE, this.#instanceId).catch(() => {});
        }
      } else {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await this.reload();
      }
    }
    // The unknown-kid cooldown starts with the first unknown kid, not at start-up.
    this.#lastReloadAt = 0;
  }

  /** True when some key can sign now. */
  #canSign(): boolean {
    const now = this.#options.clock.nowMs();
    return this.#records.some((k) => k.activatesAt <= now && (k.retiresAt === null || k.retiresAt > now));
  }

  /**
   * Re-reads the keys from the store (after a rotation elsewhere, or an unknown kid). Concurrent
   * calls share one read. The ring is rebuilt, and `onChange` told, only when the records
   * differ: a periodic reload that finds nothing new keeps the verified tokens' cache.
   */
  reload(): Promise<void> {
    this.#reloading ??= (async () => {
      try {
        this.#lastReloadAt = this.#options.clock.nowMs();
        const records = await this.#options.store.listSigningKeys();
        if (sameRecords(records, this.#records)) return;
        this.#ring = new KeyRing(records);
        this.#records = records;
        this.#onChange();
      } finally {
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }

  /**
   * Reloads for a token whose `kid` this ring does not know (a key rotated in on another
   * instance), at most once per cooldown. Returns whether a reload happened.
   */
  async reloadForUnknownKid(): Promise<boolean> {
    if (this.#options.clock.nowMs() - this.#lastReloadAt < UNKNOWN_KID_RELOAD_COOLDOWN_MS) return false;
    await this.reload();
    return true;
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
      // One rotator at a time across instances: two concurrent rotations would each retire
      // the other's new key.
      const { store, clock, clusterBus } = this.#options;
      if (!(await store.tryAcquireLease(ROTATION_LEASE, this.#instanceId, now, now + ROTATION_LEASE_MS))) {
        throw new TesseraError('unavailable', { message: 'Another instance is rotating the keys.', retryAfterSeconds: ROTATION_LEASE_MS / 1000 });
      }
      try {
        await this.reload(); // plan against the newest records, now that we hold the lease
        const fresh = planRotation(this.#records, newKey, clock.nowMs(), {
          accessTokenTtlSeconds: this.#options.accessTokenTtlSeconds,
          clockToleranceSeconds: this.#options.clockToleranceSeconds,
          publishLeadSeconds: KEY_PUBLISH_LEAD_SECONDS,
        });
        await store.insertSigningKey(fresh.newKey);
        for (const c of fresh.changes) await store.updateSigningKey(c.kid, { retiresAt: c.retiresAt, expiresAt: c.expiresAt });
        await this.reload();
        this.#options.onEvent({ type: 'key_rotated', kid: fresh.newKey.kid });
        clusterBus?.publish({ type: 'keys_changed' }).catch(() => {});
        return fresh;
      } finally {
        await store.releaseLease(ROTATION_LEASE, this.#instanceId).catch(() => {});
      }
    }
    return plan;
  }
}

/** True when both lists hold the same keys with the same lifecycle, in any order. */
function sameRecords(a: readonly SigningKeyRecord[], b: readonly SigningKeyRecord[]): boolean {
  if (a.length !== b.length) return false;
  const byKid = new Map(b.map((k) => [k.kid, k]));
  return a.every((k) => {
    const o = byKid.get(k.kid);
    return o !== undefined && o.alg === k.alg && o.publicJwk === k.publicJwk && o.privateJwk === k.privateJwk &&
      o.createdAt === k.createdAt && o.activatesAt === k.activatesAt && o.retiresAt === k.retiresAt && o.expiresAt === k.expiresAt;
  });
}

import type { Clock } from '../clock.js';
import type { RevocationEntry, Store } from '../stores/types.js';

/**
 * Where the view reads the durable feed from: a `Store`, or anything that pages the same
 * entries (the remote verifier reads `GET /auth/revocations` over HTTP). Entries with
 * `seq > afterSeq` in `seq` order, at most `limit`; `now` lets a store skip expired entries.
 */
export type RevocationSource = Pick<Store, 'listRevocations'>;

/**
 * The in-memory view of revocations that lets `authenticate` refuse a revoked access token
 * without a store read per request. It is fed by `apply` (in-process: at once; scale-out:
 * from pub/sub) and by a periodic `catchUp` read of the durable feed, so a missed message
 * delays a revocation by at most one catch-up interval but never loses it.
 *
 * Entries are keyed on `sid`, `jti` and user id, never on token bytes: ECDSA signatures are
 * malleable, so two different byte strings can carry the same claims (RFC 8725 §2.x class).
 * Each entry is dropped at its `expiresAt` (the last moment a token it concerns could still
 * be valid), so memory stays bounded by the revocations of one access-token lifetime.
 */
export class RevocationView {
  readonly #source: RevocationSource;
  readonly #clock: Clock;
  readonly #sessions = new Map<string, number>();
  readonly #jtis = new Map<string, number>();
  /** Per-user "not before", in whole seconds (compared with `iat`). */
  readonly #users = new Map<string, { notBeforeSeconds: number; expiresAt: number }>();
  #cursor = 0;
  #lastSyncAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #catchUpInFlight: Promise<void> | undefined;
  #pruneCountdown = 0;

  constructor(source: RevocationSource, clock: Clock) {
    this.#source = source;
    this.#clock = clock;
  }

  /** The feed cursor up to which this view is complete. */
  get cursor(): number {
    return this.#cursor;
  }

  /** When the view last caught up with the durable feed (ms), for lag metrics. */
  get lastSyncAt(): number {
    return this.#lastSyncAt;
  }

  /** Adds entries (idempotent; order-independent). */
  apply(entries: readonly RevocationEntry[]): void {
    for (const e of entries) {
      if (e.kind === 'session') this.#sessions.set(e.subject, Math.max(e.expiresAt, this.#sessions.get(e.subject) ?? 0));
      else if (e.kind === 'jti') this.#jtis.set(e.subject, Math.max(e.expiresAt, this.#jtis.get(e.subject) ?? 0));
      else {
        const notBeforeSeconds = Math.floor(e.at / 1000);
        const prev = this.#users.get(e.subject);
        if (!prev || prev.notBeforeSeconds < notBeforeSeconds) this.#users.set(e.subject, { notBeforeSeconds, expiresAt: e.expiresAt });
      }
    }
  }

  /** True when the session record `sid` has been ended. */
  isSessionRevoked(sid: string): boolean {
    const exp = this.#sessions.get(sid);
    return exp !== undefined && exp > this.#clock.nowMs();
  }

  /**
   * True when an access token with these claims has been revoked: its session ended, its
   * `jti` revoked, or it was issued before its user's "not before".
   */
  isTokenRevoked(sid: string, jti: string, sub: string, iatSeconds: number): boolean {
    if (this.#sessions.size > 0 && this.isSessionRevoked(sid)) return true;
    if (this.#jtis.size > 0) {
      const exp = this.#jtis.get(jti);
      if (exp !== undefined && exp > this.#clock.nowMs()) return true;
    }
    if (this.#users.size > 0) {
      const u = this.#users.get(sub);
      // Strictly before: tokens of that very second are covered by their sid entries.
      if (u !== undefined && iatSeconds < u.notBeforeSeconds && u.expiresAt > this.#clock.nowMs()) return true;
    }
    return false;
  }

  /** Reads every feed entry after the cursor. Concurrent calls share one read. */
  catchUp(): Promise<void> {
    this.#catchUpInFlight ??= this.#readFeed().finally(() => {
      this.#catchUpInFlight = undefined;
    });
    return this.#catchUpInFlight;
  }

  async #readFeed(): Promise<void> {
    const startedAt = this.#clock.nowMs();
    for (;;) {
      const batch = await this.#source.listRevocations(this.#cursor, startedAt, 1000);
      this.apply(batch);
      const last = batch.at(-1);
      if (last) this.#cursor = Math.max(this.#cursor, last.seq);
      if (batch.length < 1000) break;
    }
    this.#lastSyncAt = startedAt;
    if (++this.#pruneCountdown >= 60) {
      this.#pruneCountdown = 0;
      this.prune();
    }
  }

  /** Drops entries past their expiry. */
  prune(): void {
    const now = this.#clock.nowMs();
    for (const [k, exp] of this.#sessions) if (exp <= now) this.#sessions.delete(k);
    for (const [k, exp] of this.#jtis) if (exp <= now) this.#jtis.delete(k);
    for (const [k, u] of this.#users) if (u.expiresAt <= now) this.#users.delete(k);
  }

  /** Starts the periodic catch-up (the timer does not keep the process alive). */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    this.stop();
    this.#timer = setInterval(() => {
      this.catchUp().catch(onError);
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Entry counts, for metrics and tests. */
  size(): { sessions: number; jtis: number; users: number } {
    return { sessions: this.#sessions.size, jtis: this.#jtis.size, users: this.#users.size };
  }
}

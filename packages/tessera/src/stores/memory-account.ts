import type { AccountTokenPurpose, AccountTokenRecord, NewOutboxMail, OutboxMail } from './types.js';

// The memory store's account tokens and development outbox: plain Maps and arrays, copied on
// the way in and out like the rest of the memory store. The MemoryStore checks users and
// delegates here.

const copyToken = (t: AccountTokenRecord): AccountTokenRecord => ({
  id: t.id,
  userId: t.userId,
  purpose: t.purpose,
  secretHash: t.secretHash,
  email: t.email,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
});

/** Account tokens and outbox mail of one memory store. */
export class MemoryAccountTables {
  readonly #tokens = new Map<string, AccountTokenRecord>();
  /** In `seq` order. */
  #outbox: OutboxMail[] = [];
  #lastOutboxSeq = 0;

  hasToken(id: string): boolean {
    return this.#tokens.has(id);
  }

  createToken(token: AccountTokenRecord): void {
    this.#tokens.set(token.id, copyToken(token));
  }

  getToken(id: string): AccountTokenRecord | null {
    const token = this.#tokens.get(id);
    return token ? copyToken(token) : null;
  }

  /** The compare-and-delete of the contract (one synchronous step: nothing interleaves). */
  consumeToken(id: string, purpose: AccountTokenPurpose, secretHash: string, now: number): AccountTokenRecord | null {
    const token = this.#tokens.get(id);
    if (!token || token.purpose !== purpose || token.secretHash !== secretHash || token.expiresAt <= now) return null;
    this.#tokens.delete(id);
    return copyToken(token);
  }

  /** Deletes the user's tokens of these purposes (all of them when `purposes` is null). */
  deleteTokens(userId: string, purposes: readonly AccountTokenPurpose[] | null): number {
    let removed = 0;
    for (const [id, t] of this.#tokens) {
      if (t.userId === userId && (purposes === null || purposes.includes(t.purpose))) {
        this.#tokens.delete(id);
        removed += 1;
      }
    }
    return removed;
  }

  appendMail(mail: NewOutboxMail): void {
    this.#lastOutboxSeq += 1;
    this.#outbox.push({
      seq: this.#lastOutboxSeq, at: mail.at, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, expiresAt: mail.expiresAt,
    });
  }

  listMail(limit: number): OutboxMail[] {
    const out: OutboxMail[] = [];
    for (let i = this.#outbox.length - 1; i >= 0 && out.length < limit; i--) out.push({ ...this.#outbox[i]! });
    return out;
  }

  /** Removes expired tokens and mail; returns how many. */
  purge(now: number): number {
    let removed = 0;
    for (const [id, token] of this.#tokens) {
      if (token.expiresAt <= now) {
        this.#tokens.delete(id);
        removed += 1;
      }
    }
    const kept = this.#outbox.filter((mail) => mail.expiresAt > now);
    removed += this.#outbox.length - kept.length;
    this.#outbox = kept;
    return removed;
  }
}

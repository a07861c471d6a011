import { TesseraError } from '../errors.js';
import type { AuditType } from '../stores/types.js';
import type { AuthContext } from './context.js';

/**
 * An audit entry as the API shows it: the store's entry with its time in ISO 8601. For a
 * user's "recent activity" page, or an administrator's investigation.
 *
 * @example
 * ```ts
 * import type { PublicAuditEntry } from 'tessera'
 *
 * async function failedSignIns(userId: string): Promise<PublicAuditEntry[]> {
 *   const { entries } = await auth.listAudit({ userId, limit: 200 })
 *   return entries.filter((e) => e.type === 'sign_in_failed')
 * }
 * ```
 */
export interface PublicAuditEntry {
  seq: number;
  /** ISO 8601. */
  at: string;
  type: AuditType;
  userId: string | null;
  sessionId: string | null;
  ip: string | null;
  /** Fixed vocabulary, `key=value` pairs separated by spaces (`mode=jwt`, `reason=disabled`); never input. */
  detail: string | null;
}

/**
 * A page of the audit log, newest first, from `listAudit`: pass `next` back as `beforeSeq`
 * for older entries.
 *
 * @example
 * ```ts
 * import type { AuditPage } from 'tessera'
 *
 * const page: AuditPage = await auth.listAudit({ limit: 50 })
 * const older = page.next === null ? null : await auth.listAudit({ limit: 50, beforeSeq: page.next })
 * ```
 */
export interface AuditPage {
  entries: PublicAuditEntry[];
  /** Pass as `beforeSeq` for the next (older) page; null on the last page. */
  next: number | null;
}

/**
 * What `listAudit` lists: one user's entries or everyone's, newest first, a page at a time.
 *
 * @example
 * ```ts
 * import type { AuditListQuery } from 'tessera'
 *
 * const query: AuditListQuery = { userId: 'the-user-id', limit: 20 }
 * const { entries, next } = await auth.listAudit(query)
 * const older = next === null ? [] : (await auth.listAudit({ ...query, beforeSeq: next })).entries
 * ```
 */
export interface AuditListQuery {
  userId?: string;
  /** Entries older than this `seq` (the previous page's `next`). */
  beforeSeq?: number;
  /** 1 to {@link AUDIT_MAX_LIMIT}; default {@link AUDIT_DEFAULT_LIMIT}. */
  limit?: number;
}

export const AUDIT_DEFAULT_LIMIT = 50;
export const AUDIT_MAX_LIMIT = 1000;

/** What a caller records; the time comes from the clock, absent fields are null. */
export interface AuditRecord {
  type: AuditType;
  userId?: string | null;
  sessionId?: string | null;
  ip?: string | null;
  detail?: string | null;
}

/**
 * Appends an audit entry, after the action it records succeeded, awaited: an append that fails
 * (the store is down) fails the call with `unavailable`, so an outage never drops entries
 * silently. The action itself may have happened by then; every action audited here writes to
 * the same store first, so an outage shows there before it reaches the audit log. Never called
 * by `authenticate()`: the request path writes no audit entries.
 */
export async function recordAudit(ctx: AuthContext, record: AuditRecord): Promise<void> {
  if (!ctx.options.audit) return;
  await ctx.store.appendAudit({
    at: ctx.options.clock.nowMs(),
    type: record.type,
    userId: record.userId ?? null,
    sessionId: record.sessionId ?? null,
    // Bounded like the session record's ip: the address comes from a header when proxies are trusted.
    ip: record.ip === undefined || record.ip === null ? null : record.ip.slice(0, 64),
    detail: record.detail ?? null,
  });
}

/** A page of the audit log (see {@link AuditListQuery}). Throws `invalid_request` for a bad query. */
export async function listAudit(ctx: AuthContext, query: AuditListQuery = {}): Promise<AuditPage> {
  const limit = query.limit ?? AUDIT_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_MAX_LIMIT) {
    throw new TesseraError('invalid_request', { message: `limit must be an integer from 1 to ${AUDIT_MAX_LIMIT}.` });
  }
  const { beforeSeq, userId } = query;
  if (beforeSeq !== undefined && (!Number.isSafeInteger(beforeSeq) || beforeSeq < 1)) {
    throw new TesseraError('invalid_request', { message: 'beforeSeq must be a positive integer.' });
  }
  if (userId !== undefined && typeof userId !== 'string') throw new TesseraError('invalid_request', { message: 'userId must be a string.' });
  // One more than asked: whether an older page exists is then known without a second read.
  const rows = await ctx.store.listAudit({
    ...(userId === undefined ? {} : { userId }),
    ...(beforeSeq === undefined ? {} : { beforeSeq }),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    entries: page.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
    next: rows.length > limit ? page.at(-1)!.seq : null,
  };
}

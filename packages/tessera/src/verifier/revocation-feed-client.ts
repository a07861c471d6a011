import type { RevocationSource } from '../revocation/revocation-view.js';
import type { RevocationEntry } from '../stores/types.js';
import { getJson, RemoteFetchError } from './http-json.js';
import type { FetchFunction } from './http-json.js';

/**
 * Reads Tessera's revocation feed over HTTP: `GET <url>?since=<cursor>` with
 * `Authorization: Bearer <service key>`, answered with
 * `{revocations:[{seq, kind, subject, at, expiresAt}], cursor:"N"}` (times in ms), in pages of
 * up to 1000 entries. It is a {@link RevocationSource}, so the same `RevocationView` that
 * serves Tessera itself keeps the remote verifier's view.
 *
 * A page is applied whole or not at all: any malformed entry, or a `seq` that does not move
 * strictly forward from the cursor, rejects the page (the view then keeps its cursor and its
 * last sync time, so the lag grows and the verifier fails closed instead of guessing).
 */

/** Upper bound on one page's body: 1000 entries are ~150 KB. */
export const MAX_FEED_PAGE_BYTES = 4 * 1024 * 1024;
/** Upper bound on entries in one page (the server pages at 1000). */
export const MAX_FEED_PAGE_ENTRIES = 10_000;
/** Longest `subject` accepted (ids are short; this only bounds hostile input). */
const MAX_SUBJECT_LENGTH = 512;

const KINDS: ReadonlySet<string> = new Set<RevocationEntry['kind']>(['session', 'user', 'jti']);

/** How the feed is reached. */
export interface RevocationFeedClientOptions {
  url: string;
  serviceKey: string;
  fetch: FetchFunction;
  timeoutMs: number;
}

/** A {@link RevocationSource} over `GET /auth/revocations`. */
export function createRevocationFeedClient(options: RevocationFeedClientOptions): RevocationSource {
  const authorization = `Bearer ${options.serviceKey}`;
  return {
    // `now` and `limit` are the server's business: it drops expired entries and pages itself.
    async listRevocations(afterSeq: number): Promise<RevocationEntry[]> {
      const url = new URL(options.url);
      url.searchParams.set('since', String(afterSeq));
      const document = await getJson(url.href, {
        what: 'revocation feed',
        fetch: options.fetch,
        headers: { authorization },
        timeoutMs: options.timeoutMs,
        maxBytes: MAX_FEED_PAGE_BYTES,
      });
      return parseFeedPage(document, afterSeq);
    },
  };
}

/**
 * Validates one page of the feed. Throws {@link RemoteFetchError} unless it is exactly the
 * documented shape with every `seq` strictly increasing above `afterSeq`.
 */
export function parseFeedPage(document: unknown, afterSeq: number): RevocationEntry[] {
  const bad = (why: string): RemoteFetchError => new RemoteFetchError(`The revocation feed answered a malformed page (${why}).`);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw bad('not an object');
  const { revocations } = document as Record<string, unknown>;
  if (!Array.isArray(revocations)) throw bad('no revocations array');
  if (revocations.length > MAX_FEED_PAGE_ENTRIES) throw bad('too many entries');
  const entries: RevocationEntry[] = [];
  let previous = afterSeq;
  for (const raw of revocations) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('an entry is not an object');
    const { seq, kind, subject, at, expiresAt } = raw as Record<string, unknown>;
    if (!Number.isSafeInteger(seq) || (seq as number) <= previous) throw bad('seq does not increase');
    if (typeof kind !== 'string' || !KINDS.has(kind)) throw bad('unknown kind');
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) throw bad('bad subject');
    if (!isTime(at) || !isTime(expiresAt)) throw bad('bad time');
    previous = seq as number;
    entries.push({ seq: previous, kind: kind as RevocationEntry['kind'], subject, at, expiresAt });
  }
  return entries;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

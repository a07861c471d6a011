import type { Mailer, MailMessage } from './mailer.js';

/**
 * The queue between the account flows and the Mailer. A flow enqueues and returns at once;
 * the message is built and sent later (after the response has gone), so:
 * - SMTP latency or failure never shows in a response's status or timing. That matters most
 *   for password reset, whose answer must not tell whether an account exists: a request for
 *   an unknown email sends nothing, and the mail of a known one must not make its answer slower.
 * - the request path does no mail work at all: rendering, and for a password reset even the
 *   creation of the token, wait for the queue.
 *
 * Bounded: beyond `maxPending` messages waiting, new ones are dropped (reported, never an
 * error to the caller, which would reveal that the account exists). Failures are reported
 * through `onOutcome` and not retried: every flow lets the user ask again.
 */

/**
 * What each mail is for: a fixed set, fit for a metric label and a log field (`mail` events
 * carry it).
 *
 * @example
 * ```ts
 * import type { MailKind, TesseraEvent } from 'tessera'
 *
 * const undelivered = new Map<MailKind, number>()
 * function onEvent(event: TesseraEvent): void {
 *   if (event.type === 'mail' && event.outcome !== 'sent') undelivered.set(event.kind, (undelivered.get(event.kind) ?? 0) + 1)
 * }
 * ```
 */
export type MailKind =
  | 'email_verification'
  | 'password_reset'
  | 'password_changed'
  | 'email_change'
  | 'email_change_notice'
  | 'email_changed'
  | 'account_deleted';

/**
 * What happened to one message, reported by `mail` events since mail leaves off the request
 * path. `errorCode` is the mailer's error code (never its message, which may quote the address).
 *
 * @example
 * ```ts
 * import type { MailOutcome, TesseraEvent } from 'tessera'
 *
 * function logMail(event: TesseraEvent): void {
 *   if (event.type !== 'mail') return
 *   const { kind, outcome, errorCode }: MailOutcome = event
 *   if (outcome !== 'sent') console.warn(`mail ${kind} ${outcome}`, errorCode ?? '')
 * }
 * ```
 */
export type MailOutcome = { kind: MailKind; outcome: 'sent' | 'failed' | 'dropped'; errorCode?: string };

/** The mail queue of one Tessera instance. */
export interface MailQueue {
  /**
   * Queues a message; `build` runs when it is sent (it may do store work, such as creating the
   * token the message carries: a failure there is reported like a failed send). It may return
   * null: the mail is no longer due (what it was for changed meanwhile), and nothing is sent or
   * reported. Never throws.
   */
  enqueue(kind: MailKind, build: () => MailMessage | null | Promise<MailMessage | null>): void;
  /**
   * Queues a decoy: `build` runs as a message's would, in the same queue, but nothing is sent
   * and nothing reported. For requests that must not differ from one that sends a mail (a
   * password reset for an unknown email): the work after the response is alike too.
   */
  enqueueDecoy(kind: MailKind, build: () => unknown): void;
  /** Resolves when nothing is queued or being sent. */
  idle(): Promise<void>;
}

/** Options of {@link createMailQueue}. */
export interface MailQueueOptions {
  mailer: Mailer;
  onOutcome: (outcome: MailOutcome) => void;
  /** Messages waiting at most; default 1000. */
  maxPending?: number;
  /** Messages being sent at once; default 4. */
  concurrency?: number;
  /** How long a queued message waits before the queue starts on it, ms; default {@link MAIL_START_DELAY_MS}. */
  startDelayMs?: number;
}

/**
 * The queue starts on new messages this long after the request that queued them. Long enough
 * that the response has left (a response is written within the request's own turn of the event
 * loop; an in-process client such as `inject` sees it one `setImmediate` later), so the mail
 * work is never part of the answer's time, not even on a busy server. Where the work lands
 * instead is whatever request runs 10 ms later: unrelated to the account that asked.
 */
export const MAIL_START_DELAY_MS = 10;

interface Job {
  kind: MailKind;
  build: () => MailMessage | null | Promise<MailMessage | null>;
  decoy: boolean;
  /** `performance.now()` before which the job does not start. */
  notBefore: number;
}

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(code) ? code : 'error';
}

/** Creates the queue. See {@link MailQueue}. */
export function createMailQueue(options: MailQueueOptions): MailQueue {
  const maxPending = options.maxPending ?? 1000;
  const concurrency = options.concurrency ?? 4;
  const startDelayMs = options.startDelayMs ?? MAIL_START_DELAY_MS;
  const waiting: Job[] = [];
  let scheduled: NodeJS.Timeout | undefined;
  let running = 0;
  let idleWaiters: Array<() => void> = [];

  const settleIfIdle = () => {
    if (running > 0 || waiting.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const schedule = (delayMs: number) => {
    scheduled ??= setTimeout(() => {
      scheduled = undefined;
      pump();
    }, Math.max(1, Math.ceil(delayMs)));
  };

  const pump = () => {
    while (running < concurrency && waiting.length > 0) {
      // First in, first out, with one delay: when the head is not due, no job is.
      const wait = waiting[0]!.notBefore - performance.now();
      if (wait > 0) {
        schedule(wait);
        return;
      }
      const job = waiting.shift()!;
      running += 1;
      void (async () => {
        try {
          const message = await job.build();
          if (!job.decoy && message !== null) {
            await options.mailer.send(message);
            options.onOutcome({ kind: job.kind, outcome: 'sent' });
          }
        } catch (error) {
          if (!job.decoy) options.onOutcome({ kind: job.kind, outcome: 'failed', errorCode: errorCodeOf(error) });
        } finally {
          running -= 1;
          pump();
          settleIfIdle();
        }
      })();
    }
  };

  const add = (kind: MailKind, build: () => MailMessage | null | Promise<MailMessage | null>, decoy: boolean) => {
    if (waiting.length >= maxPending) {
      if (!decoy) options.onOutcome({ kind, outcome: 'dropped' });
      return;
    }
    // Not now: after the current request's response has left (see MAIL_START_DELAY_MS).
    waiting.push({ kind, build, decoy, notBefore: performance.now() + startDelayMs });
    schedule(startDelayMs);
  };

  return {
    enqueue: (kind, build) => add(kind, build, false),
    enqueueDecoy: (kind, build) => add(kind, build as () => MailMessage, true),
    idle() {
      if (running === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

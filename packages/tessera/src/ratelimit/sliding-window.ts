/**
 * Seconds until a sliding window that is full has room again: when its oldest counted entry
 * (`oldestAt`, now when unknown) leaves it. Never 0, which would invite an immediate retry
 * that is refused again. Shared by the sign-in throttle and the request budgets.
 */
export function secondsUntilRoom(oldestAt: number | null, windowMs: number, now: number): number {
  return Math.max(1, Math.ceil(((oldestAt ?? now) + windowMs - now) / 1000));
}

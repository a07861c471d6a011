/**
 * The client address used for throttling and the devices list. `X-Forwarded-For` is a
 * request header anyone can set, so it counts only for the configured number of proxy hops
 * in front of us: with N trusted hops, the client is the N-th address from the right
 * (the rightmost is written by the nearest proxy). With 0 hops it is ignored entirely.
 *
 * @example
 * ```ts
 * import { clientIp } from 'tessera'
 *
 * clientIp('10.0.0.2', '198.51.100.4, 203.0.113.7', 1) // '203.0.113.7': behind one proxy
 * clientIp('10.0.0.2', '198.51.100.4', 0) // '10.0.0.2': no trusted proxy, the header is ignored
 * ```
 */
export function clientIp(remoteAddress: string | undefined, forwardedFor: string | readonly string[] | undefined, trustedHops: number): string {
  const direct = remoteAddress ?? 'unknown';
  if (trustedHops <= 0 || forwardedFor === undefined) return direct;
  const list = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(','))
    .split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) return direct;
  const index = list.length - trustedHops;
  return (index >= 0 ? list[index] : list[0]) ?? direct;
}

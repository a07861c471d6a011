/**
 * Node's HTTP parser keeps only the first of several `Authorization` headers: for a few
 * single-valued headers (authorization, content-type, host, user-agent, …) it drops the
 * duplicates from `request.headers`. A request with two would then be authenticated with the
 * first one, while a proxy or a peer service in front may have checked the other; the core
 * refuses two `Authorization` headers as ambiguous, but never saw the second. This restores
 * every `Authorization` line from the raw header list (`IncomingMessage.rawHeaders`), as an
 * array when there are several, so that `authenticate` refuses the request.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { withEveryAuthorization } from 'tessera'
 *
 * createServer(async (req, res) => {
 *   // Two Authorization lines become an array, which authenticate() refuses as ambiguous.
 *   const who = await auth.authenticate(withEveryAuthorization(req.headers, req.rawHeaders))
 *   res.end(who.status)
 * })
 * ```
 */
export function withEveryAuthorization<H extends Readonly<Record<string, string | string[] | undefined>>>(
  headers: H,
  rawHeaders: readonly string[] | undefined,
): H {
  if (headers.authorization === undefined || rawHeaders === undefined) return headers;
  let first: string | undefined;
  let all: string[] | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length !== 13 || name.toLowerCase() !== 'authorization') continue;
    if (first === undefined) first = rawHeaders[i + 1]!;
    else (all ??= [first]).push(rawHeaders[i + 1]!);
  }
  return all === undefined ? headers : { ...headers, authorization: all };
}

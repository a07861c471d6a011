/**
 * The one way the remote verifier talks HTTP: a GET with a deadline covering the whole
 * exchange (headers and body), a cap on the body size, no redirects, and a JSON parse. Every
 * failure is a {@link RemoteFetchError} whose message names what was fetched and why, never a
 * header value (the feed's service key) nor the response body.
 */

import { TesseraError } from '../errors.js';

/**
 * The `fetch` the verifier calls (the `fetch` option): the global one, or a test double, or a
 * wrapper that adds logging or a proxy.
 *
 * @example
 * ```ts
 * import { createRemoteVerifier } from 'tessera/verifier'
 * import type { FetchFunction } from 'tessera/verifier'
 *
 * const loggingFetch: FetchFunction = async (input, init) => {
 *   console.log('verifier GET', input instanceof Request ? input.url : input.toString())
 *   return fetch(input, init)
 * }
 * const verifier = createRemoteVerifier({ issuer: 'https://auth.example.com', revocations: 'none', fetch: loggingFetch })
 * ```
 */
export type FetchFunction = typeof fetch;

/**
 * Why a remote document (the JWKS, a revocation feed page) could not be read: unreachable,
 * too slow, an error status, or malformed. It arrives as the `cause` of an `unavailable`
 * error, or through `onError` for background refreshes; its message names no secret.
 *
 * @example
 * ```ts
 * import { TesseraError } from 'tessera'
 * import { createRemoteVerifier, RemoteFetchError } from 'tessera/verifier'
 *
 * const verifier = createRemoteVerifier({ issuer: 'https://auth.example.com', serviceKey: process.env.TESSERA_SERVICE_KEY })
 * try {
 *   await verifier.start()
 * } catch (e) {
 *   if (e instanceof TesseraError && e.cause instanceof RemoteFetchError) console.warn(`Tessera not reachable yet: ${e.cause.message}`)
 *   else throw e
 * }
 * ```
 */
export class RemoteFetchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RemoteFetchError';
  }
}

/** How one GET is made. */
export interface GetJsonOptions {
  /** For messages only, e.g. "JWKS" or "revocation feed". */
  what: string;
  fetch: FetchFunction;
  headers?: Record<string, string>;
  timeoutMs: number;
  maxBytes: number;
}

/** GETs `url` and parses its JSON body. Throws {@link RemoteFetchError} on any failure. */
export async function getJson(url: string, options: GetJsonOptions): Promise<unknown> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // The race covers a fetch that ignores its signal (a hung peer must not hang the caller).
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new RemoteFetchError(`The ${options.what} did not answer within ${options.timeoutMs} ms.`));
    }, options.timeoutMs);
  });
  try {
    return await Promise.race([exchange(url, options, controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function exchange(url: string, options: GetJsonOptions, signal: AbortSignal): Promise<unknown> {
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...options.headers },
      // A redirect could carry the service key elsewhere, or serve keys from elsewhere.
      redirect: 'error',
      signal,
    });
  } catch (error) {
    throw new RemoteFetchError(`The ${options.what} could not be reached.`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new RemoteFetchError(`The ${options.what} answered HTTP ${response.status}.`);
  }
  const text = await readBounded(response, options);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RemoteFetchError(`The ${options.what} did not answer JSON.`);
  }
}

/** The body as UTF-8 text, refused as soon as it exceeds `maxBytes`. */
async function readBounded(response: Response, options: GetJsonOptions): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  const tooLarge = (): RemoteFetchError => new RemoteFetchError(`The ${options.what} answered more than ${options.maxBytes} bytes.`);
  if (declared > options.maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof RemoteFetchError) throw error;
    throw new RemoteFetchError(`The ${options.what} answer was cut off.`, { cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Hosts for which plain http is accepted: the loopback interface cannot be intercepted. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Checks a configured URL: absolute, http(s), no credentials in it, and https unless the host
 * is loopback or `allowInsecureHttp` (a JWKS over plain http lets anyone on the path inject
 * keys; the feed's service key would travel in clear). Throws `TesseraError('invalid_request')`
 * naming the option.
 */
export function checkRemoteUrl(name: string, value: string, allowInsecureHttp: boolean): string {
  const refuse = (rule: string): TesseraError => new TesseraError('invalid_request', { message: `Option ${name} must ${rule}.` });
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : null;
  if (url === null) throw refuse('be an absolute URL');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('be an http(s) URL');
  if (url.username !== '' || url.password !== '') throw refuse('not carry credentials');
  if (url.protocol === 'http:' && !allowInsecureHttp && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw refuse('be an https URL (http only on loopback, or with allowInsecureHttp)');
  }
  return value;
}

import { TesseraError } from '../errors.js';

/**
 * The body rules of the auth API, the same in every adapter: JSON only, UTF-8, uncompressed,
 * at most 16 KiB. The adapter supplies the header values as strings and a way to read the
 * bytes (Express, web handlers) or the bytes its framework read (Fastify); this module decides.
 */

/** The largest request body the auth routes accept (spec: 16 KiB, then 413). */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** What {@link readJsonBody} needs to know about a request body, whatever the framework. */
export interface JsonBodySource {
  contentType: string | null | undefined;
  contentLength: string | null | undefined;
  contentEncoding: string | null | undefined;
  /** False when the request carries no body at all (no Content-Length, no Transfer-Encoding). */
  hasBody: boolean;
  /**
   * Reads the raw bytes, stopping (without buffering the rest) once more than `limitBytes`
   * arrived. May reject when the client goes away.
   */
  readBytes(limitBytes: number): Promise<Uint8Array | 'too_large'>;
  /**
   * The body as another middleware already consumed it (Express with `express.json()`,
   * `express.text()` or `express.raw()` in front): an object, a string or bytes.
   */
  alreadyRead?: { value: unknown };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The parsed JSON body, or `undefined` when there is none. Throws `payload_too_large`,
 * `unsupported_media_type` (not JSON, not UTF-8, or compressed) or `invalid_request`
 * (malformed JSON, unreadable body).
 */
export async function readJsonBody(source: JsonBodySource, limitBytes = BODY_LIMIT_BYTES): Promise<unknown> {
  const declared = source.contentLength == null ? undefined : Number(source.contentLength);
  // A declared size over the cap is refused before a byte is read.
  if (declared !== undefined && declared > limitBytes) throw new TesseraError('payload_too_large');
  if (source.alreadyRead) return fromAlreadyRead(source, source.alreadyRead.value, declared, limitBytes);
  if (!source.hasBody || declared === 0) return undefined;
  // With a declared length, a body of the wrong kind is refused before a byte of it is read.
  // Without one (chunked, or a web Request, whose stream may be empty: a browser's DELETE
  // without a body), the body is read first: an empty body is no body, whatever its type.
  if (declared !== undefined) assertAcceptedBody(source);
  let bytes: Uint8Array | 'too_large';
  try {
    bytes = await source.readBytes(limitBytes);
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    throw new TesseraError('invalid_request', { message: 'The request body could not be read.', cause: error });
  }
  if (bytes === 'too_large') throw new TesseraError('payload_too_large');
  return parseJsonBody(source, bytes);
}

/**
 * A body's bytes, as received, judged by the same rules: `undefined` when empty, else JSON in
 * UTF-8, uncompressed (for an adapter whose framework reads the bytes, as Fastify's parsers do).
 */
export function parseJsonBody(source: Pick<JsonBodySource, 'contentType' | 'contentEncoding'>, bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  assertAcceptedBody(source);
  return parseJsonBytes(bytes);
}

function fromAlreadyRead(source: JsonBodySource, value: unknown, declared: number | undefined, limitBytes: number): unknown {
  if (value === undefined || value === null) return undefined;
  // The other parser inflated it: what was sent is not what the rules would have judged.
  assertUncompressed(source);
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    if (bytes.length > limitBytes) throw new TesseraError('payload_too_large');
    if (bytes.length === 0) return undefined;
    assertJsonType(source.contentType);
    return parseJsonBytes(bytes);
  }
  // Parsed by someone else: it must still have been sent as JSON (a form parsed by
  // express.urlencoded() is not), and no larger than the cap. Only Content-Length says how
  // large it was: a re-serialisation drops whitespace and repeated keys, so a body sent
  // without one (chunked) has a size nobody can check any more, and is refused.
  assertJsonType(source.contentType);
  if (declared === undefined) {
    throw new TesseraError('payload_too_large', {
      message: 'The body was parsed before Tessera read it and came without Content-Length, so its size cannot be checked.',
    });
  }
  return value;
}

function assertUncompressed(source: Pick<JsonBodySource, 'contentEncoding'>): void {
  const encoding = source.contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') throw new TesseraError('unsupported_media_type', { message: 'Compressed request bodies are not accepted.' });
}

function assertAcceptedBody(source: Pick<JsonBodySource, 'contentType' | 'contentEncoding'>): void {
  assertUncompressed(source);
  assertJsonType(source.contentType);
}

/** `application/json` or `application/*+json`, in UTF-8 (RFC 8259 §8.1). */
function assertJsonType(contentType: string | null | undefined): void {
  const [type = '', ...params] = (contentType ?? '').split(';');
  const essence = type.trim().toLowerCase();
  if (essence !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(essence)) throw new TesseraError('unsupported_media_type');
  for (const param of params) {
    const [key = '', raw = ''] = param.split('=');
    const charset = raw.trim().replace(/^"|"$/g, '').toLowerCase();
    if (key.trim().toLowerCase() === 'charset' && charset !== 'utf-8' && charset !== 'utf8') {
      throw new TesseraError('unsupported_media_type', { message: 'The request body must be UTF-8 JSON.' });
    }
  }
}

function parseJsonBytes(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new TesseraError('invalid_request', { message: 'The body is not valid JSON.' });
  }
}

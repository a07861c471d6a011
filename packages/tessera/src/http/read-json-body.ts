import { TesseraError } from '../errors.js';

/**
 * The body rules of the auth API, the same in every adapter that reads bodies itself
 * (Express, web handlers): JSON only, UTF-8, at most 16 KiB. The adapter supplies the header
 * values as strings and a way to read the bytes; this module decides.
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
  if (source.alreadyRead) return fromAlreadyRead(source, source.alreadyRead.value, limitBytes);
  if (!source.hasBody || declared === 0) return undefined;
  const encoding = source.contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') throw new TesseraError('unsupported_media_type', { message: 'Compressed request bodies are not accepted.' });
  assertJsonType(source.contentType);
  let bytes: Uint8Array | 'too_large';
  try {
    bytes = await source.readBytes(limitBytes);
  } catch (error) {
    throw new TesseraError('invalid_request', { message: 'The request body could not be read.', cause: error });
  }
  if (bytes === 'too_large') throw new TesseraError('payload_too_large');
  return parseJsonBytes(bytes);
}

function fromAlreadyRead(source: JsonBodySource, value: unknown, limitBytes: number): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    if (bytes.length > limitBytes) throw new TesseraError('payload_too_large');
    if (bytes.length === 0) return undefined;
    assertJsonType(source.contentType);
    return parseJsonBytes(bytes);
  }
  // Parsed by someone else: it must still have been sent as JSON (a form parsed by
  // express.urlencoded() is not), and its size is checked even without Content-Length
  // (its compact re-serialisation is never larger than what was sent).
  assertJsonType(source.contentType);
  if (new TextEncoder().encode(JSON.stringify(value)).length > limitBytes) throw new TesseraError('payload_too_large');
  return value;
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

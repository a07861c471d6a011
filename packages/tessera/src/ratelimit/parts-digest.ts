import { createHash } from 'node:crypto';

/**
 * SHA-256 (base64url) of length-prefixed UTF-8 parts: no part can be confused with a separator
 * or its neighbour. The throttles' store keys are made of it, so no email or address is stored
 * in clear.
 */
export function digestOfParts(parts: readonly string[]): string {
  const digest = createHash('sha256');
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    digest.update(length).update(bytes);
  }
  return digest.digest('base64url');
}

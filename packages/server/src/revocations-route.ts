import type { FastifyInstance } from 'fastify';
import { errorResponse, TesseraError } from 'tessera';
import type { Tessera } from 'tessera';
import { sendResponse } from 'tessera/fastify';
import { createKeyChecker, requestBearerToken } from './bearer-keys.js';

/**
 * `GET /auth/revocations?since=<cursor>`: the durable revocation feed for other services'
 * verifiers, authenticated by one of `TESSERA_SERVICE_KEYS` sent as a Bearer token. Keys are
 * compared as SHA-256 digests in constant time, so neither length nor prefix leaks.
 */
export function registerRevocationsRoute(app: FastifyInstance, auth: Tessera, serviceKeys: readonly string[]): void {
  const isServiceKey = createKeyChecker(serviceKeys);

  app.get('/auth/revocations', async (request, reply) => {
    const { token, sent } = requestBearerToken(request);
    if (token === null || !isServiceKey(token)) {
      return sendResponse(reply, errorResponse(new TesseraError('unauthorized', { message: 'A service key is required.' }), sent));
    }
    const since = (request.query as Record<string, unknown>).since;
    const cursor = since === undefined || since === '' ? 0 : typeof since === 'string' && /^\d{1,15}$/.test(since) ? Number(since) : -1;
    if (cursor < 0) {
      return sendResponse(reply, errorResponse(new TesseraError('invalid_request', { message: 'since must be a cursor returned by this endpoint.' })));
    }
    try {
      const feed = await auth.revocationsSince(cursor);
      reply.header('cache-control', 'no-store');
      return {
        revocations: feed.entries.map((e) => ({ seq: e.seq, kind: e.kind, subject: e.subject, at: e.at, expiresAt: e.expiresAt })),
        cursor: String(feed.cursor),
      };
    } catch (error) {
      return sendResponse(reply, errorResponse(error));
    }
  });
}

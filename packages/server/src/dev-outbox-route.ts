/**
 * `GET /dev/outbox?limit=`: the development outbox as JSON, for the web UI, when mail is kept
 * in the database (no `TESSERA_SMTP_URL`) and `TESSERA_DEV_OUTBOX_HTTP=true`. config.ts accepts
 * that only with a loopback issuer and listen address, and each request must come from this
 * machine to a loopback name: the outbox holds every account's working links, so it must never
 * be reachable from anywhere else. Not in the OpenAPI document (not part of the API).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorResponse, parseQuery, TesseraError } from 'tessera';
import type { Store } from 'tessera';
import { sendResponse } from 'tessera/fastify';
import { isLoopbackAddress } from './config-account.js';
import { refuseOtherMethods } from './method-not-allowed.js';

export const DEV_OUTBOX_PATH = '/dev/outbox';

/**
 * Whether this request may read the outbox: sent from this machine (the socket's address, not
 * X-Forwarded-For) and addressed to a loopback name. The second stops DNS rebinding, where a
 * page on another site resolves its own name to 127.0.0.1 and reads the answer as its own.
 */
function fromThisMachine(request: FastifyRequest): boolean {
  const host = request.headers.host ?? '';
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return isLoopbackAddress(request.socket.remoteAddress) && isLoopbackAddress(hostname);
}

/** Registers the route (call it only when the outbox is the mailer and the setting is on). */
export function registerDevOutbox(app: FastifyInstance, store: Store): void {
  refuseOtherMethods(app, DEV_OUTBOX_PATH, ['GET']);
  app.get(DEV_OUTBOX_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    // Checked on every request as well as at start (config-account.ts): as if there were no such route.
    if (!fromThisMachine(request)) return sendResponse(reply, errorResponse(new TesseraError('not_found')));
    const query = parseQuery(request.url);
    const raw = query.limit;
    const extra = Object.keys(query).some((k) => k !== 'limit');
    if (extra || (raw !== undefined && (typeof raw !== 'string' || !/^[1-9][0-9]{0,2}$/.test(raw)))) {
      return sendResponse(reply, errorResponse(new TesseraError('invalid_request', { message: 'The query parameter limit must be an integer from 1 to 999.' })));
    }
    try {
      const mail = await store.listOutboxMail({ limit: raw === undefined ? 50 : Number(raw) });
      return {
        development: true,
        mail: mail.map((m) => ({ seq: m.seq, at: new Date(m.at).toISOString(), to: m.to, subject: m.subject, text: m.text, html: m.html })),
      };
    } catch (error) {
      return sendResponse(reply, errorResponse(error instanceof TesseraError ? error : new TesseraError('unavailable', { retryAfterSeconds: 1, cause: error })));
    }
  });
}

import type { FastifyInstance } from 'fastify';
import { errorResponse, TesseraError } from 'tessera';
import { sendResponse } from 'tessera/fastify';

/**
 * The 405 of one of the server's paths: every other method Fastify routes
 * (`app.supportedMethods`, which has TRACE and QUERY besides the usual seven) gets
 * `method_not_allowed` with `Allow`, in the spec's shape, rather than a 404. A path that takes
 * GET takes HEAD too.
 */
export function refuseOtherMethods(app: FastifyInstance, url: string, methods: readonly string[]): void {
  const allowed = methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : methods;
  const allow = allowed.join(', ');
  app.route({
    method: app.supportedMethods.filter((m) => !allowed.includes(m)),
    url,
    // Not part of the API: kept out of the OpenAPI document.
    schema: { hide: true },
    handler: async (_request, reply) => {
      reply.header('allow', allow);
      return sendResponse(reply, errorResponse(new TesseraError('method_not_allowed')));
    },
  });
}

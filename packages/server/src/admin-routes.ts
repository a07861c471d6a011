/**
 * The admin API: account administration over HTTP for operators and their tools, guarded by
 * `TESSERA_ADMIN_KEYS` (sent as `Authorization: Bearer <key>`, compared as SHA-256 digests in
 * constant time). Thin: each route is one library call (`listUsers`, `disableUser`,
 * `enableUser`, `deleteUser`, `listAudit`), so a disable or delete ends every session record
 * and token family on every instance exactly as the CLI's does, and lands in the audit log.
 *
 * No cookie opens it (it is not reachable from a browser session, so there is no CSRF to
 * check), and with no key configured every request is refused. `POST /admin/bench` (a short
 * benchmark, admin-bench-route.ts) sits behind the same key check.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorResponse, parseQuery, TesseraError } from 'tessera';
import type { QueryParams, Tessera } from 'tessera';
import { sendResponse } from 'tessera/fastify';
import { ADMIN_BENCH_PATH, registerAdminBenchRoute } from './admin-bench-route.js';
import type { AdminGuard } from './admin-bench-route.js';
import { createKeyChecker, requestBearerToken } from './bearer-keys.js';
import { refuseOtherMethods } from './method-not-allowed.js';

const SECURITY = [{ adminKey: [] }];
const ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100, description: 'The user id.' } } };
const USERS_QUERY = {
  type: 'object', additionalProperties: false,
  properties: {
    after: { type: 'string', maxLength: 256, description: 'the `next` of the previous page' },
    limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$', description: 'users per page, 1 to 1000 (default 100)' },
  },
};
const AUDIT_QUERY = {
  type: 'object', additionalProperties: false,
  properties: {
    before: { type: 'string', pattern: '^[1-9][0-9]{0,14}$', description: 'the `next` of the previous page' },
    limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$', description: 'entries per page, 1 to 1000 (default 50)' },
  },
};

/** The admin API's paths and the methods each takes (for the 405s). */
export const ADMIN_PATHS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['/admin/users', ['GET', 'HEAD']],
  ['/admin/users/:id', ['DELETE']],
  ['/admin/users/:id/disable', ['POST']],
  ['/admin/users/:id/enable', ['POST']],
  ['/admin/users/:id/audit', ['GET', 'HEAD']],
  [ADMIN_BENCH_PATH, ['POST']],
];

function bad(message: string): TesseraError {
  return new TesseraError('invalid_request', { message });
}

/** The query's parameters, each given at most once and among `allowed`. */
function readQuery(request: FastifyRequest, allowed: readonly string[]): Record<string, string> {
  const query: QueryParams = parseQuery(request.url);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name)) throw bad('The query has a parameter this endpoint does not accept.');
    if (typeof value !== 'string') throw bad(`The query parameter ${name} must be given once.`);
    out[name] = value;
  }
  return out;
}

function pageLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,3}$/.test(value) || Number(value) > 1000) throw bad('The query parameter limit must be an integer from 1 to 1000.');
  return Number(value);
}

/** Registers the admin API. */
export function registerAdminRoutes(app: FastifyInstance, auth: Tessera, adminKeys: readonly string[]): void {
  for (const [url, allowed] of ADMIN_PATHS) refuseOtherMethods(app, url, allowed);
  // The routes in a scope of their own, whose first hook checks the key: before the body is
  // read, so that a caller without one learns nothing from how its body is judged.
  app.register(async (scope) => adminScope(scope, auth, adminKeys));
}

function adminScope(app: FastifyInstance, auth: Tessera, adminKeys: readonly string[]): void {
  const isAdminKey = createKeyChecker(adminKeys);
  const noValidation = { validatorCompiler: () => () => true };
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    const { token, sent } = requestBearerToken(request);
    if (token === null || !isAdminKey(token)) {
      return sendResponse(reply, errorResponse(new TesseraError('unauthorized', { message: 'An admin key is required.' }), sent));
    }
    return undefined;
  });

  /** Runs `work` for a caller whose key the scope's hook accepted; every failure in the spec's error shape. */
  const guarded: AdminGuard = (work) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        return await work(request, reply);
      } catch (error) {
        return sendResponse(reply, errorResponse(error));
      }
    };
  const userId = (request: FastifyRequest) => (request.params as { id: string }).id;
  const notFound = () => new TesseraError('not_found', { message: 'No such user.' });

  app.get('/admin/users', {
    ...noValidation,
    schema: { tags: ['admin'], summary: 'Users in id order, a page at a time', security: SECURITY, querystring: USERS_QUERY },
  }, guarded(async (request) => {
    const q = readQuery(request, ['after', 'limit']);
    const limit = pageLimit(q.limit);
    return auth.listUsers({ ...(q.after === undefined ? {} : { afterId: q.after }), ...(limit === undefined ? {} : { limit }) });
  }));

  for (const action of ['disable', 'enable'] as const) {
    app.post(`/admin/users/:id/${action}`, {
      ...noValidation,
      schema: {
        tags: ['admin'], security: SECURITY, params: ID_PARAMS,
        summary: action === 'disable' ? 'Disables an account and ends every session and token family at once' : 'Lets an account sign in again: enables it, and ends the lock of its password sign-in after 100 consecutive failures',
      },
    }, guarded(async (request, reply) => {
      const done = action === 'disable' ? await auth.disableUser(userId(request)) : await auth.enableUser(userId(request));
      if (!done) throw notFound();
      return reply.code(204).send();
    }));
  }

  app.delete('/admin/users/:id', {
    ...noValidation,
    schema: { tags: ['admin'], summary: 'Deletes an account (its sessions and tokens end first)', security: SECURITY, params: ID_PARAMS },
  }, guarded(async (request, reply) => {
    if (!(await auth.deleteUser(userId(request)))) throw notFound();
    return reply.code(204).send();
  }));

  app.get('/admin/users/:id/audit', {
    ...noValidation,
    schema: { tags: ['admin'], summary: "An account's audit log, newest first (kept after deletion)", security: SECURITY, params: ID_PARAMS, querystring: AUDIT_QUERY },
  }, guarded(async (request) => {
    const q = readQuery(request, ['before', 'limit']);
    const limit = pageLimit(q.limit);
    if (q.before !== undefined && !/^[1-9][0-9]{0,14}$/.test(q.before)) throw bad('The query parameter before must be a positive integer (the `next` of the previous page).');
    return auth.listAudit({
      userId: userId(request),
      ...(q.before === undefined ? {} : { beforeSeq: Number(q.before) }),
      ...(limit === undefined ? {} : { limit }),
    });
  }));

  registerAdminBenchRoute(app, auth, guarded);
}

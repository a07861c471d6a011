/**
 * `POST /admin/bench`: a short benchmark of session mode against JWT mode on this machine, the
 * measurement of `tessera bench` (measure-modes.ts) run in a child process (short-bench.ts).
 * It costs a few seconds of CPU, so it is part of the admin API: an admin key opens it, one
 * run at a time (429 with Retry-After while one runs). The web UI's lab calls it from the
 * browser with a key typed into the page, so unlike the rest of the admin API it also makes
 * the spec's origin check of state-changing requests: a page on another site never starts one.
 *
 * The answer is the report of `tessera bench --json` plus `run: "short"`, when and where it
 * ran; it is not written anywhere (bench/results.json stays the full benchmark's).
 */
import { cpus } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkOrigin, TesseraError } from 'tessera';
import type { Tessera } from 'tessera';
import { toRequestInfo } from 'tessera/fastify';
import { createShortBench, ShortBenchError } from './short-bench.js';

/** The path of the route. */
export const ADMIN_BENCH_PATH = '/admin/bench';

/** The settings of a short run (seconds of load per mode, of warm-up before each, connections): defaults and bounds. */
export const SHORT_BENCH = Object.freeze({
  durationSeconds: Object.freeze({ default: 2, min: 1, max: 5 }),
  warmupSeconds: Object.freeze({ default: 1, min: 0, max: 2 }),
  connections: Object.freeze({ default: 4, min: 1, max: 32 }),
});

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The admin API's key check around a handler (admin-routes.ts). */
export type AdminGuard = (work: Handler) => Handler;

const SETTINGS = ['durationSeconds', 'warmupSeconds', 'connections'] as const;
const SETTING_DESCRIPTIONS: Record<(typeof SETTINGS)[number], string> = {
  durationSeconds: 'seconds of measured load per mode',
  warmupSeconds: 'seconds of unmeasured load before each mode, so that neither meets a cold JIT',
  connections: 'concurrent connections of the load generator',
};

const BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(SETTINGS.map((name) => [name, {
    type: 'integer',
    minimum: SHORT_BENCH[name].min,
    maximum: SHORT_BENCH[name].max,
    default: SHORT_BENCH[name].default,
    description: SETTING_DESCRIPTIONS[name],
  }])),
};

const DESCRIPTION = 'Starts a throwaway server on a temporary SQLite database in a child process, signs in once per mode and loads '
  + 'GET /auth/me with autocannon, first with the session cookie, then with the bearer access token, each after a warm-up. '
  + '200 `{run:"short", generatedAt, machine, durationSeconds, warmupSeconds, connections, endpoint, results:[{mode, requestsPerSecond, meanMs, p50Ms, p99Ms, credentialBytes, requests, errors}]}`. '
  + 'One run at a time: 429 `rate_limited` with Retry-After while one runs. 403 `forbidden` from another site\'s page.';

/** The body's settings, each an integer within its bounds; absent ones take the default. */
function readSettings(raw: unknown): { durationSeconds: number; warmupSeconds: number; connections: number } {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new TesseraError('invalid_request', { message: 'The body must be a JSON object.' });
  }
  const b = (raw ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(b)) {
    if (!(SETTINGS as readonly string[]).includes(name)) throw new TesseraError('invalid_request', { message: 'The body has a field this endpoint does not accept.' });
  }
  const read = (name: (typeof SETTINGS)[number]): number => {
    const { default: fallback, min, max } = SHORT_BENCH[name];
    const value = b[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new TesseraError('invalid_request', { message: `${name} must be an integer from ${min} to ${max}.` });
    }
    return value;
  };
  return { durationSeconds: read('durationSeconds'), warmupSeconds: read('warmupSeconds'), connections: read('connections') };
}

/** Registers the route (in the admin scope, whose hook checks the key), its work behind `guarded`. */
export function registerAdminBenchRoute(app: FastifyInstance, auth: Tessera, guarded: AdminGuard): void {
  const bench = createShortBench();
  app.addHook('onClose', async () => bench.close());

  app.post(ADMIN_BENCH_PATH, {
    // Validated below, so that every refusal has the spec's shape; the schema documents it.
    validatorCompiler: () => () => true,
    schema: {
      tags: ['admin'],
      summary: 'Runs a short benchmark of session mode against JWT mode on this machine',
      description: DESCRIPTION,
      security: [{ adminKey: [] }],
      body: BODY_SCHEMA,
    },
  }, guarded(async (request) => {
    // The proxy hops only matter for the client address, which this check does not read.
    checkOrigin(auth, toRequestInfo(request, 0));
    const settings = readSettings(request.body);
    request.log.info(settings, 'short benchmark started');
    try {
      const report = await bench.run(settings);
      request.log.info({ requestsPerSecond: report.results.map((r) => Math.round(r.requestsPerSecond)) }, 'short benchmark finished');
      return { run: 'short', generatedAt: new Date().toISOString(), machine: machineFacts(), ...report };
    } catch (error) {
      if (error instanceof ShortBenchError && error.reason === 'busy') {
        throw new TesseraError('rate_limited', { message: error.message, retryAfterSeconds: error.retryAfterSeconds });
      }
      // The child's own words go to the log only: they may name paths or settings of this host.
      request.log.warn({ err: error, detail: error instanceof Error ? error.cause : undefined }, 'short benchmark failed');
      throw new TesseraError('unavailable', { message: 'The benchmark could not run; the server log says why.', retryAfterSeconds: 1 });
    }
  }));
}

/** Where the numbers come from, as bench/results.json describes its machine. */
function machineFacts(): { cpuModel: string; nproc: number; node: string; platform: string } {
  const list = cpus();
  return { cpuModel: list[0]?.model.trim() ?? 'unknown', nproc: list.length, node: process.version, platform: `${process.platform}-${process.arch}` };
}

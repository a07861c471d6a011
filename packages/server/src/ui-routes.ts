import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponse, TesseraError } from 'tessera';
import type { Tessera } from 'tessera';
import { sendResponse } from 'tessera/fastify';
import { SHORT_BENCH } from './admin-bench-route.js';
import { refuseOtherMethods } from './method-not-allowed.js';
import { uiAssets, UI_CONTENT_SECURITY_POLICY, UI_PATHS } from './ui-page.js';

/** Small JSON documents of the web UI. */
export const UI_JSON_PATHS = Object.freeze({ config: '/ui/config.json', benchResults: '/ui/bench-results.json' });

/** The largest benchmark results file served (it is made by `npm run bench`, not by users). */
const MAX_BENCH_RESULTS_BYTES = 1024 * 1024;

/**
 * Where the benchmark results are read from: `TESSERA_BENCH_RESULTS`, else
 * `bench/results.json` at the repository root (read on every request: a new run shows at once).
 */
export function benchResultsPath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.TESSERA_BENCH_RESULTS;
  if (configured !== undefined && configured !== '') return configured;
  return fileURLToPath(new URL('../../../bench/results.json', import.meta.url));
}

async function readBenchResults(path: string): Promise<unknown> {
  const info = await stat(path);
  if (!info.isFile() || info.size > MAX_BENCH_RESULTS_BYTES) return undefined;
  const data: unknown = JSON.parse(await readFile(path, 'utf8'));
  return data !== null && typeof data === 'object' ? data : undefined;
}

/** Paths whose other methods app.ts already answers with 405. */
const METHOD_NOT_ALLOWED_IN_APP: ReadonlySet<string> = new Set([UI_PATHS.html, UI_PATHS.js, UI_PATHS.css]);

function uiHeaders(reply: FastifyReply, type: string): void {
  reply.header('content-type', type);
  reply.header('content-security-policy', UI_CONTENT_SECURITY_POLICY);
  reply.header('x-frame-options', 'DENY');
  // A page that opened this one (window.open) keeps no handle on it: it could not steer its
  // address to a mailed link's fragment, nor watch it.
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cache-control', 'no-cache');
}

/** What the page needs to know about the server besides the auth options. */
export interface UiServerFacts {
  /** Whether `TESSERA_ADMIN_KEYS` is set, so that the lab can run a short benchmark (`POST /admin/bench`). */
  adminKeysConfigured: boolean;
}

/**
 * Serves the web UI: the page, every module and stylesheet under `static/` (each a separate
 * file, so the Content-Security-Policy can forbid inline scripts and styles entirely), the
 * public settings the page needs (`/ui/config.json`) and the last benchmark results
 * (`/ui/bench-results.json`, 404 when there are none).
 */
export function registerUi(app: FastifyInstance, auth: Tessera, facts: UiServerFacts): void {
  const { files } = uiAssets();
  const ownPaths: string[] = [];
  for (const asset of files.values()) {
    app.get(asset.path, async (_request, reply) => {
      uiHeaders(reply, asset.contentType);
      return asset.body;
    });
    ownPaths.push(asset.path);
  }

  const o = auth.options;
  const policy = auth.passwordPolicy();
  const config = Object.freeze({
    issuer: o.issuer,
    audience: o.audience,
    clientId: o.clientId,
    jwtAlgorithm: o.jwtAlgorithm,
    accessTokenTtlSeconds: o.accessTokenTtlSeconds,
    refreshReuseLeewaySeconds: o.refreshReuseLeewaySeconds,
    sessionIdleTimeoutSeconds: o.sessionIdleTimeoutSeconds,
    sessionAbsoluteTimeoutSeconds: o.sessionAbsoluteTimeoutSeconds,
    clockToleranceSeconds: o.clockToleranceSeconds,
    passwordMinLength: policy.minLength,
    passwordMaxLength: policy.maxLength,
    cookieNames: { session: auth.cookieNames.session, refresh: auth.cookieNames.refresh },
    // Whether admin keys exist (never how many or which): without one, the lab explains how
    // to enable its benchmark button instead of offering a key field that cannot work.
    shortBench: {
      enabled: facts.adminKeysConfigured,
      defaultDurationSeconds: SHORT_BENCH.durationSeconds.default,
      maxDurationSeconds: SHORT_BENCH.durationSeconds.max,
    },
  });
  app.get(UI_JSON_PATHS.config, async (_request, reply) => {
    uiHeaders(reply, 'application/json; charset=utf-8');
    return config;
  });
  app.get(UI_JSON_PATHS.benchResults, async (request, reply) => {
    let data: unknown;
    try {
      data = await readBenchResults(benchResultsPath());
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') request.log.warn({ err: error }, 'benchmark results unreadable');
      data = undefined;
    }
    if (data === undefined) {
      return sendResponse(reply, errorResponse(new TesseraError('not_found', { message: 'No benchmark results yet: run npm run bench.' })));
    }
    uiHeaders(reply, 'application/json; charset=utf-8');
    return data;
  });
  ownPaths.push(UI_JSON_PATHS.config, UI_JSON_PATHS.benchResults);

  for (const url of ownPaths) {
    if (!METHOD_NOT_ALLOWED_IN_APP.has(url)) refuseOtherMethods(app, url, ['GET']);
  }
}

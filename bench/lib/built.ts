import type * as AccessTokenModule from '../../packages/tessera/src/jwt/access-token.js';
import type * as KeyRingModule from '../../packages/tessera/src/jwt/key-ring.js';
import type * as TesseraModule from '../../packages/tessera/src/auth/tessera.js';
import type * as PasswordHasherModule from '../../packages/tessera/src/password/password-hasher.js';
import type * as MemoryModule from '../../packages/tessera/src/stores/memory.js';
import type * as SqliteModule from '../../packages/tessera/src/stores/sqlite.js';
import type * as RedisModule from '../../packages/tessera/src/stores/redis.js';
import type * as PostgresModule from '../../packages/tessera/src/stores/postgres.js';
import type * as ServerLoggerModule from '../../packages/server/src/logger.js';
import type * as AccessLogModule from '../../packages/server/src/access-log.js';

/**
 * Tessera as its users run it: the modules of its build (`npm run build`, emitted by tsc into
 * each package's dist folder), typed by their sources so that the benchmarks type-check
 * before a build. Imported from the sources, the code measured would be tsx's compilation of
 * them (esbuild with `keepNames`), which wraps each named closure a function creates in a call
 * of `Object.defineProperty`: work the build does not do. Measured in session 11: 8,000 of the
 * instructions of a session check on Redis, in `parseRecord`'s two helpers.
 * The library's HTTP server (http/servers/tessera-fastify.ts) imports `tessera` itself, which
 * resolves to the build when tsx is told not to use the root tsconfig's `paths`
 * ({@link BUILT_RESOLUTION_ENV}).
 */

/** Loads `path` of a package's build; a missing build is named as such, not as a bare ENOENT. */
async function fromBuild<T>(pkg: 'tessera' | 'server', path: string): Promise<T> {
  const url = new URL(`../../packages/${pkg}/dist/${path}`, import.meta.url);
  try {
    return (await import(url.href)) as T;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`the benchmarks measure the build: run \`npm run build\` first (${detail})`);
  }
}

/**
 * Environment for a child that tsx runs and that imports `tessera`: tsx then reads the base
 * tsconfig, which has no `paths`, and Node resolves `tessera` through node_modules to the build.
 */
export const BUILT_RESOLUTION_ENV: Readonly<Record<string, string>> = Object.freeze({
  TSX_TSCONFIG_PATH: new URL('../../tsconfig.base.json', import.meta.url).pathname,
});

export const accessToken = await fromBuild<typeof AccessTokenModule>('tessera', 'jwt/access-token.js');
export const keyRing = await fromBuild<typeof KeyRingModule>('tessera', 'jwt/key-ring.js');
export const tessera = await fromBuild<typeof TesseraModule>('tessera', 'auth/tessera.js');
export const passwordHasher = await fromBuild<typeof PasswordHasherModule>('tessera', 'password/password-hasher.js');
export const memoryStore = await fromBuild<typeof MemoryModule>('tessera', 'stores/memory.js');
export const sqliteStore = await fromBuild<typeof SqliteModule>('tessera', 'stores/sqlite.js');

/** Loaded when asked for: their drivers are optional peers, and a bench without the service skips them. */
export const redisStore = (): Promise<typeof RedisModule> => fromBuild('tessera', 'stores/redis.js');
export const postgresStore = (): Promise<typeof PostgresModule> => fromBuild('tessera', 'stores/postgres.js');
export const serverLogger = (): Promise<typeof ServerLoggerModule> => fromBuild('server', 'logger.js');
export const accessLog = (): Promise<typeof AccessLogModule> => fromBuild('server', 'access-log.js');

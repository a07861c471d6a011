import { createRequire } from 'node:module';

// Drivers and frameworks are optional peer dependencies: a user who never imports
// `tessera/sqlite` need not install better-sqlite3. A subpath that does need one loads it
// here, synchronously (the peers that need loading are CommonJS), so that a missing peer
// fails at import with what to install instead of ERR_MODULE_NOT_FOUND from deep inside dist/.
const require = createRequire(import.meta.url);

/**
 * Loads an optional peer dependency, or throws an error that names the subpath that needs it
 * and the command that installs it. Any other failure (a broken native build) is rethrown as is.
 */
export function requireOptionalPeer<T>(name: string, subpath: string, installSpec: string): T {
  try {
    return require(name) as T;
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    const missing = e.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${name}'`);
    if (!missing) throw error;
    throw new Error(`${subpath} needs the optional peer dependency ${name}: npm install ${installSpec}`, { cause: error });
  }
}

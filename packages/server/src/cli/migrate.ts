/**
 * `tessera migrate`: creates or upgrades the schema of the configured database, through the
 * same `openStores` the server runs at start (which calls `store.migrate()`: idempotent, and
 * on PostgreSQL serialised across instances by an advisory lock), and reports the schema
 * version before and after. The versions are read where the stores keep them (SQLite's
 * `PRAGMA user_version`, PostgreSQL's `<schema>.schema_migrations`), read-only; Redis holds
 * no schema.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import type { ServerConfig } from '../config.js';
import { CONFIG_FLAGS_HELP, parseCommand } from './args.js';
import { withContext } from './context.js';
import { EXIT, printJson, printLines } from './output.js';

const USAGE = `Usage: tessera migrate [--json]

Creates or upgrades the database schema (SQLite, or PostgreSQL with TESSERA_DATABASE_URL in
TESSERA_DATABASE_SCHEMA), as the server does when it starts; run it before starting a new
version across a fleet. Idempotent: a second run changes nothing. Prints the schema version
before and after.

  --json               print {"store":…,"database":"sqlite"|"postgres","previousVersion":N,
                       "schemaVersion":N,"applied":N}

${CONFIG_FLAGS_HELP}`;

/** The schema version of the configured database, 0 when it has none yet. */
async function schemaVersion(config: ServerConfig): Promise<number> {
  if (config.databaseUrl === undefined) {
    const path = join(config.dataDir, 'tessera.db');
    if (!existsSync(path)) return 0;
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    try {
      return Number(db.pragma('user_version', { simple: true }));
    } finally {
      db.close();
    }
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    // The schema name is checked by loadConfig: a lower-case identifier.
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM "${config.databaseSchema}".schema_migrations`);
    return rows[0]?.version ?? 0;
  } catch (error) {
    if ((error as { code?: string }).code === '3F000' || (error as { code?: string }).code === '42P01') return 0; // no schema / table yet
    throw error;
  } finally {
    await client.end();
  }
}

/** `tessera migrate`. */
export async function runMigrate(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { name: 'migrate', usage: USAGE, config: true });
  if (!parsed) return EXIT.ok;
  const config = loadConfig(parsed.configArgv, process.env);
  const previousVersion = await schemaVersion(config).catch(() => null);
  return withContext(parsed.configArgv, async (ctx) => {
    // openStores has migrated by now; the version is read again, outside the store.
    const version = await schemaVersion(ctx.config);
    const database = ctx.config.databaseUrl === undefined ? 'sqlite' : 'postgres';
    const applied = previousVersion === null ? null : version - previousVersion;
    if (parsed.json) {
      printJson({ store: ctx.description, database, previousVersion, schemaVersion: version, applied });
      return EXIT.ok;
    }
    const what = applied === 0 ? 'already up to date'
      : applied === null ? 'migrated'
        : `applied ${applied} migration${applied === 1 ? '' : 's'} (version ${previousVersion} → ${version})`;
    printLines(`${ctx.description}: schema version ${version}, ${what}.`);
    if (ctx.config.redisUrl !== undefined) printLines('Redis holds no schema: nothing to migrate there.');
    return EXIT.ok;
  });
}

// `tessera/postgres`: the PostgreSQL store and its cluster bus. `pg` is an optional peer:
// these modules only import its types; the pool is yours to create and inject.
export { createPostgresStore, PostgresStore, migratePostgres, POSTGRES_SCHEMA_VERSION } from './postgres.js';
export type { PostgresStoreOptions } from './postgres.js';
export { createPostgresClusterBus } from './postgres-bus.js';
export type { PostgresClusterBusOptions } from './postgres-bus.js';

/**
 * @tongkit/host — the reference 千牛-style Tongkit host.
 *
 * The public surface is small: start a host (on an embedded or an existing PostgreSQL), run its
 * migrations, and the types of what its HTTP API answers. The services behind the routes (registry,
 * installs, dispatcher, …) are internal; tests and benchmarks assemble them through
 * `@tongkit/host/testing`.
 *
 * @example
 * import { startHost } from '@tongkit/host';
 * const host = await startHost({ port: 8787 });
 *
 * @packageDocumentation
 */
export { startHost, type BootstrapTokens, type Host, type HostOptions } from './host.js';
export { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './platform/storage/embedded.js';
export {
  createDatabase,
  dropDatabase,
  openDatabase,
  type Database,
  type DatabaseOptions,
  type Queryable,
  type QueryResult,
  type TransactionOptions,
} from './platform/storage/database.js';
export { migrate, type Migration, type MigrateOptions } from './platform/storage/migrate.js';
export type { Principal, Role } from './platform/auth/principal.js';
export type * from './api-types.js';

/**
 * @tongkit/host — the reference 千牛-style Tongkit host.
 *
 * @packageDocumentation
 */
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
export { startHost, type BootstrapTokens, type Host, type HostOptions } from './host.js';
export { createHostServices, type HostServiceOptions, type HostServices } from './host-services.js';
export { DEFAULT_RATE_LIMIT, buildHttpApi, type HostApp, type HttpApiOptions } from './platform/http/server.js';
export { Registry, type DeployUpload, type VersionFilter, type VersionPage, type VersionDetail, type VersionStatus, type VersionSummary } from './platform/registry/registry.js';
export type { ReviewReport, ReviewCheck, PermissionFinding, ManifestDiff } from './platform/registry/review-report.js';
export { scanHostApiUse, type PermissionScan } from './platform/registry/permission-scan.js';
export { Installs, type Install, type InstallRequest } from './platform/installs/installs.js';
export { applyMergePatch } from './platform/installs/merge-patch.js';
export { ExtensionInvoker, type ExtensionDecision, type DecisionSource } from './platform/extensions/invoke-extension.js';
export { DEFAULT_BREAKER_POLICY, type BreakerPolicy, type BreakerState } from './platform/extensions/circuit-breaker.js';
export { Dispatcher, DEFAULT_DISPATCH_POLICY, type DeadLetter, type DispatchPolicy, type PublishedEvent } from './platform/dispatch/dispatcher.js';
export { Tenancy } from './platform/tenancy/tenancy.js';
export type { Principal, Role } from './platform/auth/principal.js';
export type { LogEntry } from './logs.js';

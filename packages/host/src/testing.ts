/**
 * @tongkit/host/testing — helpers for tests of hosts and plugins; never loaded by production code.
 *
 * Besides a throwaway database, it assembles the host's internal services and its HTTP API without a
 * listening server, for tests and benchmarks that drive them directly.
 *
 * @packageDocumentation
 */
export { createTestDatabase, type TestDatabase } from './platform/storage/test-database.js';
export { allocationSagaIn } from './domains/allocation/index.js';
export type { AllocationSaga } from './domains/allocation/allocations.js';
export { createHostServices, type HostServiceOptions, type HostServices } from './host-services.js';
export { buildHttpApi, type HostApp, type HttpApiOptions } from './platform/http/server.js';

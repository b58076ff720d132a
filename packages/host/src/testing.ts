/**
 * @tongkit/host/testing — helpers for tests of hosts and plugins; never loaded by production code.
 *
 * @packageDocumentation
 */
export { createTestDatabase, type TestDatabase } from './platform/storage/test-database.js';
export { allocationSagaIn } from './domains/allocation/index.js';
export type { AllocationSaga } from './domains/allocation/allocations.js';

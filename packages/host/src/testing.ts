/**
 * @tongkit/host/testing — helpers for tests of hosts and plugins; never loaded by production code.
 *
 * @packageDocumentation
 */
export { createTestDatabase, type TestDatabase } from './platform/storage/test-database.js';

/**
 * vitest global setup: one embedded PostgreSQL server for the whole run, so that each test file's
 * createTestDatabase() only creates a database (~0.1 s) instead of starting a server (~1 s with initdb).
 * Skipped when DATABASE_URL names an external server. Test processes find the server through an
 * environment variable, which vitest passes on to the worker processes it starts after this setup.
 */
import { rm } from 'node:fs/promises';
import { removeOnExit, startTestServer, TEST_SERVER_URL_ENV } from '../src/platform/storage/test-database.js';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env['DATABASE_URL']) return undefined;
  const server = await startTestServer();
  process.env[TEST_SERVER_URL_ENV] = server.url;
  const forget = removeOnExit(server); // also when the run is interrupted before teardown
  return async () => {
    forget();
    delete process.env[TEST_SERVER_URL_ENV];
    await server.stop();
    await rm(server.dataDir, { recursive: true, force: true });
  };
}

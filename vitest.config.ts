import { defineConfig } from 'vitest/config';

// One vitest run for the whole repository: package unit tests, runtime limits and red-team tests,
// examples and templates (through the real sandbox), and CLI end-to-end runs of the built binary.
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'templates/*/test/**/*.test.ts',
    ],
    // isolated-vm needs --no-node-snapshot in every process that loads it.
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    // One embedded PostgreSQL for the whole run (skipped when DATABASE_URL is set): host test files
    // each get their own database on it.
    globalSetup: ['packages/host/test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});

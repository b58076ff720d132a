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
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});

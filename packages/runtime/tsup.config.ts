import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', build: 'src/build.ts', worker: 'src/workers/worker-main.ts', extract: 'src/internal/extract-main.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2023',
  external: ['isolated-vm', 'esbuild'],
});

import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', guest: 'src/guest.ts', 'rules/index': 'src/rules/index.ts', 'rules/guest': 'src/rules/guest.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2023',
});

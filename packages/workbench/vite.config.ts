import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The workbench is static files the host serves at `/` under a strict CSP: no inline script (Vite's
// module-preload polyfill would be one, so it is off: every supported browser preloads natively), and
// one chunk per role so the sign-in page loads only what it shows.
export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@rjsf/validator-ajv8': fileURLToPath(new URL('src/no-ajv.ts', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});

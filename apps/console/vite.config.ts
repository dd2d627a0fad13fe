import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// Served by the origin at /cp/; built from core's sources so the console shares the server's schemas.
export default defineConfig({
  base: '/cp/',
  plugins: [react()],
  resolve: { alias: [{ find: /^@wharf\/core$/, replacement: fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url)) }] },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, sourcemap: false },
});

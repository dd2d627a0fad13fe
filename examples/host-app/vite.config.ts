import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const src = (path: string) => fileURLToPath(new URL(`../../packages/${path}`, import.meta.url));

export default defineConfig({
  // Relative asset URLs: the same build runs under any path (the tests serve it at /app/).
  base: './',
  resolve: {
    // Build from the SDK's sources, so the app never runs a stale or missing dist/.
    alias: [
      { find: /^@wharf\/sdk$/, replacement: src('sdk/src/index.ts') },
      { find: /^@wharf\/core$/, replacement: src('core/src/index.ts') },
    ],
  },
  build: { target: 'es2022', sourcemap: true },
});

import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (entry: string) => fileURLToPath(new URL(`./packages/${entry}/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; the CLI end-to-end tests run the built `wharf` binary.
    alias: [
      { find: /^@wharf\/core$/, replacement: src('core/src') },
      { find: /^@wharf\/tarball$/, replacement: src('tarball/src') },
      { find: /^@wharf\/delta$/, replacement: src('delta/src') },
      { find: /^@wharf\/tarball\/node$/, replacement: fileURLToPath(new URL('./packages/tarball/src/node.ts', import.meta.url)) },
      { find: /^@wharf\/server$/, replacement: src('server/src') },
      { find: /^@wharf\/sdk$/, replacement: src('sdk/src') },
      { find: /^@wharf\/sdk\/node$/, replacement: src('sdk/src/node') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'scripts/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most suites wait on PostgreSQL, child processes (npm, wharf serve) and sockets rather than on the
    // CPU: three files at a time keep two cores busy.
    maxWorkers: 3,
  },
});

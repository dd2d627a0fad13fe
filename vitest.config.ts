import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; the CLI end-to-end tests run the built `wharf` binary.
    alias: { '@wharf/core': src('core'), '@wharf/server': src('server'), '@wharf/sdk': src('sdk') },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most suites wait on PostgreSQL, child processes (npm, wharf serve) and sockets rather than on the
    // CPU: three files at a time keep two cores busy.
    maxWorkers: 3,
  },
});

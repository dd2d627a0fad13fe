import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Bun and Deno for the package-manager suite, from their npm packages (which carry the binaries),
 * installed on first use into a cache under node_modules, as test-prerequisites.mjs does for Debian's
 * Chromium and nginx: `npm ci` stays light, and a second run finds them at once. Install scripts are
 * not run: the platform package (an optional dependency) already holds the binary.
 */
const CACHE = fileURLToPath(new URL('../../../../node_modules/.cache/wharf-test-clients/', import.meta.url));

const PINNED = {
  bun: { spec: 'bun@1.4.4', binary: `@oven/bun-${process.platform}-${process.arch}/bin/bun` },
  deno: { spec: 'deno@2.9.6', binary: `@deno/${process.platform}-${process.arch}-glibc/deno` },
} as const;

export type CachedClient = keyof typeof PINNED;

/** Each client's binary, installing the missing ones on first use (one npm run: two would race on the folder). */
export async function cachedClients(): Promise<Record<CachedClient, { bin: string } | { missing: string }>> {
  const names = Object.keys(PINNED) as CachedClient[];
  const bin = (name: CachedClient) => join(CACHE, 'node_modules', PINNED[name].binary);
  const specs = names.filter((name) => !existsSync(bin(name))).map((name) => PINNED[name].spec);
  let failure = '';
  if (specs.length > 0) {
    console.log(`package-manager suite: installing ${specs.join(' ')} into ${CACHE} (once)`);
    try {
      await promisify(execFile)('npm', ['install', '--prefix', CACHE, '--ignore-scripts', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', ...specs], {
        timeout: 300_000,
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_'))),
      });
    } catch (err) {
      failure = `: npm install failed: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  const found = (name: CachedClient) =>
    existsSync(bin(name)) ? { bin: bin(name) } : { missing: `${PINNED[name].spec} has no ${process.platform}-${process.arch} binary in ${CACHE}${failure}` };
  return Object.fromEntries(names.map((name) => [name, found(name)])) as Record<CachedClient, { bin: string } | { missing: string }>;
}

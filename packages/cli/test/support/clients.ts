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

/** The client's binary, installing it on first use; a string saying why when it cannot be had. */
export async function cachedClient(name: CachedClient): Promise<{ bin: string } | { missing: string }> {
  const { spec, binary } = PINNED[name];
  const bin = join(CACHE, 'node_modules', binary);
  if (!existsSync(bin)) {
    try {
      await promisify(execFile)('npm', ['install', '--prefix', CACHE, '--ignore-scripts', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', spec], {
        timeout: 300_000,
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_'))),
      });
    } catch (err) {
      return { missing: `${spec} could not be installed into ${CACHE}: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  if (!existsSync(bin)) return { missing: `${spec} has no ${process.platform}-${process.arch} binary (${binary})` };
  return { bin };
}

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Every bare specifier reachable from `entry` through relative imports (static and dynamic). */
function reachable(entry: string): Set<string> {
  const bare = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else bare.add(spec);
    }
  };
  visit(resolve(src, entry));
  return bare;
}

describe('what the release-control modules pull in', () => {
  it('keeps FlagClient, VersionGate and HealthReporter on web APIs and @wharf/core only', () => {
    for (const entry of ['flags/flag-client.ts', 'gate/version-gate.ts', 'reporting/health-reporter.ts']) {
      expect([...reachable(entry)], entry).toEqual(['@wharf/core']);
    }
  });

  it('keeps each OpenFeature SDK behind its own subpath', () => {
    expect([...reachable('flags/openfeature-web.ts')].sort()).toEqual(['@openfeature/core', '@openfeature/web-sdk', '@wharf/core']);
    expect([...reachable('flags/openfeature-server.ts')].sort()).toEqual(['@openfeature/core', '@openfeature/server-sdk', '@wharf/core']);
    const pkg = JSON.parse(readFileSync(resolve(src, '../package.json'), 'utf8')) as { exports: Record<string, { default: string }>; peerDependenciesMeta: Record<string, { optional: boolean }> };
    expect(pkg.exports['./openfeature-web']?.default).toBe('./dist/flags/openfeature-web.js');
    expect(pkg.exports['./openfeature-server']?.default).toBe('./dist/flags/openfeature-server.js');
    for (const peer of ['@openfeature/core', '@openfeature/web-sdk', '@openfeature/server-sdk']) expect(pkg.peerDependenciesMeta[peer]?.optional, peer).toBe(true);
  });
});

describe("the browser entry's bundle", () => {
  it('carries zod/mini only, never full zod nor semver (what keeps it under 40 KB: see bench:sdk-bundle)', async () => {
    const result = await build({
      entryPoints: [resolve(src, 'index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
      alias: { '@wharf/core': resolve(src, '../../core/src/index.ts') },
      splitting: true,
      outdir: '/out',
    });
    // Modules merely reached through @wharf/core's index are tree-shaken away: count what lands in the output.
    const shipped = Object.values(result.metafile.outputs).flatMap((out) => Object.entries(out.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path));
    expect(shipped.some((path) => path.includes('node_modules/zod/v4/mini/'))).toBe(true);
    expect(shipped.filter((path) => /node_modules\/(zod\/v4\/classic|semver)\//.test(path))).toEqual([]);
  });
});


// npm run bench:sdk-bundle: size of @wharf/sdk's browser entry as a host app ships it — everything
// it exports bundled from the sources with its dependencies (zod, noble, semver, ...), minified, then
// gzip -9 — and which inputs the minified bytes come from. Target: < 40 KB gzip.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const TARGET_KB = 40;

const result = await build({
  entryPoints: [`${repo}packages/sdk/src/index.ts`],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  metafile: true,
  // The workspace link points at dist/, which may be stale or unbuilt: measure the sources.
  alias: { '@wharf/core': `${repo}packages/core/src/index.ts` },
  logLevel: 'error',
});

const code = result.outputFiles[0].contents;
const gzip = gzipSync(code, { level: 9 }).length;
const inputs = Object.values(result.metafile.outputs)[0].inputs;

/** node_modules/<pkg> or packages/<ws>: where a module's bytes are charged. */
function owner(path) {
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const ws = /^packages\/([^/]+)\/src\/([^/]+)/.exec(path);
  return ws ? `@wharf/${ws[1]} ${ws[2].replace(/\.ts$/, '')}` : path;
}

const byOwner = new Map();
for (const [path, { bytesInOutput }] of Object.entries(inputs)) byOwner.set(owner(path), (byOwner.get(owner(path)) ?? 0) + bytesInOutput);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

console.log(`@wharf/sdk browser entry: ${kb(code.length)} minified, ${kb(gzip)} minified + gzip (target < ${TARGET_KB} KB) — load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('minified bytes by origin:');
for (const [name, bytes] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`  ${kb(bytes).padStart(9)}  ${((100 * bytes) / code.length).toFixed(1).padStart(5)}%  ${name}`);
}
if (gzip > TARGET_KB * 1024) process.exitCode = 1;

// npm run bench:sdk-bundle: size of @wharf/sdk's browser entry as a host app ships it. Everything the
// entry exports is bundled from the sources with its dependencies (zod, noble, semver, ...), minified,
// then gzip -9. Two bundlers, because their tree-shaking of zod differs widely: Vite 7 (Rollup, the
// host app's own Vite) and esbuild. Target: < 40 KB gzip. Prints where the bytes come from. Exits 1
// when the Vite figure misses the target.
import { build as esbuild } from 'esbuild';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const entry = `${repo}packages/sdk/src/index.ts`;
// The workspace links point at dist/, which may be stale or unbuilt: measure the sources.
const alias = { '@wharf/core': `${repo}packages/core/src/index.ts` };
const TARGET_KB = 40;

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** node_modules/<pkg> or @wharf/<ws> <folder>: where a module's bytes are charged. */
function owner(path) {
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const ws = /packages\/([^/]+)\/src\/([^/]+)/.exec(path);
  return ws ? `@wharf/${ws[1]} ${ws[2].replace(/\.ts$/, '')}` : path;
}

function printShares(title, sizes) {
  const byOwner = new Map();
  for (const [path, bytes] of sizes) byOwner.set(owner(path), (byOwner.get(owner(path)) ?? 0) + bytes);
  const total = [...byOwner.values()].reduce((a, b) => a + b, 0);
  console.log(`  ${title}:`);
  for (const [name, bytes] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    console.log(`    ${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
}

async function viteBuild(external = []) {
  const { build } = await import(pathToFileURL(createRequire(`${repo}examples/host-app/package.json`).resolve('vite')).href);
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { alias },
    // An app build with the SDK entry's exports kept, not library mode: Vite leaves whitespace in
    // library-mode ES output (for downstream tree-shaking), which would not be what ships.
    build: { rollupOptions: { input: entry, preserveEntrySignatures: 'strict', external }, minify: 'esbuild', target: 'es2022', write: false, reportCompressedSize: false },
  });
  const chunks = (Array.isArray(result) ? result[0] : result).output.filter((o) => o.type === 'chunk');
  // What the page loads up front: the entry and every chunk it imports statically, transitively;
  // chunks reached only through import() load later, when (and if) they are needed.
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const eager = [];
  for (const queue = [chunks.find((c) => c.isEntry)]; queue.length; ) {
    const chunk = queue.shift();
    if (eager.includes(chunk)) continue;
    eager.push(chunk);
    queue.push(...chunk.imports.map((f) => byName.get(f)).filter(Boolean));
  }
  const main = { code: eager.map((c) => c.code).join('\n'), modules: Object.assign({}, ...eager.map((c) => c.modules)) };
  return { main, lazy: chunks.filter((c) => !eager.includes(c)) };
}

async function viteFigures() {
  const { main, lazy } = await viteBuild();
  const total = gzip(main.code);
  const lazyGzip = lazy.reduce((n, c) => n + gzip(c.code), 0);
  console.log(`Vite 7 (Rollup):      ${kb(main.code.length)} minified, ${kb(total)} minified + gzip; loaded later, on demand: +${kb(lazyGzip)} gzip (${lazy.map((c) => c.fileName).join(', ')})`);
  printShares('entry chunk by origin (share of tree-shaken, unminified bytes)', Object.entries(main.modules).map(([id, m]) => [id, m.renderedLength]));
  // Gzip does not split by module: the cost of a dependency is what leaving it out saves.
  console.log('  gzip cost (what leaving it out of the entry chunk saves):');
  const leftOut = [];
  let before = total;
  for (const [name, pattern] of [['zod', /^zod(\/|$)/], ['semver', /^semver(\/|$)/], ['@noble/*', /^@noble\//]]) {
    leftOut.push(pattern);
    const after = gzip((await viteBuild([...leftOut])).main.code);
    console.log(`    ${kb(before - after).padStart(9)} gzip  ${name}`);
    before = after;
  }
  console.log(`    ${kb(before).padStart(9)} gzip  the rest (@wharf/sdk, @wharf/core)`);
  return total;
}

async function esbuildBundle() {
  const result = await esbuild({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, metafile: true, alias, logLevel: 'error', splitting: true, outdir: '/out' });
  const main = result.outputFiles.find((f) => f.path.endsWith('/index.js'));
  const meta = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('/index.js'))[1];
  console.log(`esbuild:             ${kb(main.contents.length)} minified, ${kb(gzip(main.contents))} minified + gzip`);
  printShares('entry chunk by origin (share of minified bytes)', Object.entries(meta.inputs).map(([id, m]) => [id, m.bytesInOutput]));
}

console.log(`@wharf/sdk browser entry (target < ${TARGET_KB} KB gzip) — load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const viteGzip = await viteFigures();
await esbuildBundle();
if (viteGzip > TARGET_KB * 1024) process.exitCode = 1;

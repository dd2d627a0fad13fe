#!/usr/bin/env node
// Delta sizes on six real npm patch releases (the pairs of the delta issue), against the full .tgz and
// against the best CLI tool, `zstd --patch-from` over the whole tar (when zstd is installed). Downloads
// the tarballs from the npm registry into bench/delta/.cache on first run. Run on demand:
// `npm run bench:delta` (after `npm run build`). Prints one row per pair and the medians.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { applyDelta, buildDelta } from '../../packages/delta/dist/index.js';
import { readTarball } from '../../packages/tarball/dist/index.js';
import { sriOf } from '../../packages/core/dist/index.js';

const PAIRS = [
  ['lodash-es', '4.17.20', '4.17.21'],
  ['@codemirror/view', '6.26.0', '6.26.1'],
  ['vue', '3.4.37', '3.4.38'],
  ['react-dom', '18.2.0', '18.3.1'],
  ['chart.js', '4.4.0', '4.4.1'],
  ['@babel/standalone', '7.24.0', '7.24.1'],
];
const cache = new URL('./.cache/', import.meta.url).pathname;
const REGISTRY = process.env.BENCH_REGISTRY ?? 'https://registry.npmjs.org';

async function tarball(name, version) {
  const file = join(cache, `${name.replace('/', '+')}-${version}.tgz`);
  if (!existsSync(file)) {
    const bare = name.split('/').pop();
    const res = await fetch(`${REGISTRY}/${name}/-/${bare}-${version}.tgz`);
    if (!res.ok) throw new Error(`${name}@${version}: HTTP ${res.status}`);
    await mkdir(cache, { recursive: true });
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
  }
  return readFile(file);
}

const files = async (tgz) => new Map((await readTarball(tgz, { mode: 'install', keep: () => true })).files.map((f) => [f.path, f.bytes]));
const hasZstd = spawnSync('zstd', ['--version']).status === 0;

/** Both versions as plain tars, for `zstd --patch-from` (what it is best at: one long-range match over everything). */
async function tarsFor(oldTgz, newTgz) {
  const dir = join(cache, 'zstd');
  await mkdir(dir, { recursive: true });
  const [a, b] = [join(dir, 'old.tar'), join(dir, 'new.tar')];
  await writeFile(a, gunzipSync(oldTgz));
  await writeFile(b, gunzipSync(newTgz));
  return { a, b, out: join(dir, 'patch.zst') };
}

const pct = (n, d) => `${((100 * n) / d).toFixed(1)} %`;
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(`delta sizes on real npm patch releases (load ${loadavg()[0].toFixed(2)})${hasZstd ? '' : '; zstd CLI not installed: no comparison'}`);
console.log('| pair | full .tgz | Wharf delta | of full | zstd --patch-from | Wharf / zstd | build ms | apply ms |');
console.log('|---|---|---|---|---|---|---|---|');
const ours = [];
const ratios = [];
for (const [name, from, to] of PAIRS) {
  const [oldTgz, newTgz] = [await tarball(name, from), await tarball(name, to)];
  const [oldFiles, newFiles] = [await files(oldTgz), await files(newTgz)];
  let t = performance.now();
  const delta = await buildDelta(name, { version: from, files: oldFiles }, { version: to, files: newFiles });
  const buildMs = performance.now() - t;
  const signed = {};
  for (const [p, b] of newFiles) signed[p] = await sriOf(b);
  t = performance.now();
  await applyDelta(delta, oldFiles, { name, from, to, files: signed });
  const applyMs = performance.now() - t;
  let zstdBytes = null;
  if (hasZstd) {
    const z = await tarsFor(oldTgz, newTgz);
    execFileSync('zstd', ['-q', '-f', '-19', '--long=27', `--patch-from=${z.a}`, z.b, '-o', z.out]);
    zstdBytes = (await readFile(z.out)).length;
  }
  ours.push(delta.length / newTgz.length);
  if (zstdBytes) ratios.push(delta.length / zstdBytes);
  console.log(`| ${name} ${from}→${to} | ${newTgz.length} | ${delta.length} | ${pct(delta.length, newTgz.length)} | ${zstdBytes ?? '—'} | ${zstdBytes ? (delta.length / zstdBytes).toFixed(2) : '—'} | ${buildMs.toFixed(0)} | ${applyMs.toFixed(0)} |`);
}
console.log(`median: Wharf delta ${(100 * median(ours)).toFixed(1)} % of the full .tgz${ratios.length ? `, ${median(ratios).toFixed(2)}× zstd --patch-from (worst ${Math.max(...ratios).toFixed(2)}×)` : ''}`);

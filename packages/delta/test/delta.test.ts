import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sriOf } from '@wharf/core';
import { applyDelta, buildDelta, decodeDelta, DeltaError, type DeltaTarget } from '@wharf/delta';
import { encodeDelta } from '../src/container.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Two versions shaped like a real plugin: a bundle edited in places, a file renamed, an asset changed, one removed, one added. */
async function versions(): Promise<{ v1: Map<string, Uint8Array>; v2: Map<string, Uint8Array> }> {
  // Real JavaScript of some size: semver's range code, as a bundled plugin would ship a library.
  const semverDir = dirname(createRequire(import.meta.url).resolve('semver/package.json'));
  const bundle = await readFile(join(semverDir, 'classes/range.js'), 'utf8');
  const logo = randomBytes(40_000);
  const logo2 = Buffer.from(logo);
  logo2.fill(9, 20_000, 20_200);
  const v1 = new Map<string, Uint8Array>([
    ['package.json', enc('{"name":"@acme/delta","version":"1.0.0","main":"dist/index.js"}')],
    ['dist/index.js', enc(bundle)],
    ['dist/util.js', enc('export const twice = (x) => x * 2;\n'.repeat(50))],
    ['assets/logo.bin', logo],
    ['README.md', enc('# Delta\n\nA plugin.\n')],
    ['CHANGELOG.md', enc('1.0.0: first\n')],
  ]);
  const v2 = new Map<string, Uint8Array>([
    ['package.json', enc('{"name":"@acme/delta","version":"1.0.1","main":"dist/index.js"}')],
    ['dist/index.js', enc(bundle.replace(/Range/g, 'VersionRange') + '\n// 1.0.1\n')],
    ['dist/helpers.js', v1.get('dist/util.js')!],
    ['assets/logo.bin', logo2],
    ['README.md', v1.get('README.md')!],
    ['assets/new.bin', randomBytes(5_000)],
  ]);
  return { v1, v2 };
}

async function targetOf(files: Map<string, Uint8Array>, over: Partial<DeltaTarget> = {}): Promise<DeltaTarget> {
  const hashes: Record<string, string> = {};
  for (const [path, bytes] of files) hashes[path] = await sriOf(bytes);
  return { name: '@acme/delta', from: '1.0.0', to: '1.0.1', files: hashes, ...over };
}

describe('delta updates: the format', () => {
  let v1: Map<string, Uint8Array>;
  let v2: Map<string, Uint8Array>;
  let delta: Uint8Array;
  let target: DeltaTarget;
  beforeAll(async () => {
    ({ v1, v2 } = await versions());
    delta = await buildDelta('@acme/delta', { version: '1.0.0', files: v1 }, { version: '1.0.1', files: v2 });
    target = await targetOf(v2);
  });

  it('round-trips: changed, renamed, binary, removed, added and unchanged files (not named) come out as the new version', async () => {
    const out = await applyDelta(delta, v1, target);
    expect([...out.keys()].sort()).toEqual([...v2.keys()].sort());
    for (const [path, bytes] of v2) expect(Buffer.from(out.get(path)!).equals(Buffer.from(bytes)), path).toBe(true);
    const methods = Object.fromEntries((await decodeDelta(delta)).manifest.files.map((f) => [f.path, f.method]));
    expect(methods).toEqual({
      'CHANGELOG.md': 'removed',
      'assets/logo.bin': 'patch',
      'assets/new.bin': 'whole',
      'dist/helpers.js': 'whole',
      'dist/index.js': 'patch',
      'dist/util.js': 'removed',
      'package.json': 'patch',
    });
  });

  it('is small next to the new files (the random new asset is most of it) and the same bytes every time', async () => {
    const newBytes = [...v2.values()].reduce((n, b) => n + b.length, 0);
    expect(delta.length).toBeLessThan(newBytes * 0.2);
    const again = await buildDelta('@acme/delta', { version: '1.0.0', files: v1 }, { version: '1.0.1', files: v2 });
    expect(Buffer.from(again).equals(Buffer.from(delta))).toBe(true);
  });

  const refusals: [string, () => Promise<unknown>, RegExp][] = [
    ['a flipped byte in a patch', async () => applyDelta(flip(delta, delta.length - 10), v1, target), /does not decompress|does not match its signed sha512|does not declare/],
    ['a patch on another old file than its own', async () => applyDelta(delta, new Map([...v1, ['dist/index.js', enc('tampered')]]), target), /does not decompress|does not match its signed sha512/],
    ['an unchanged file that is not the signed one', async () => applyDelta(delta, new Map([...v1, ['README.md', enc('tampered')]]), target), /installed file is not the signed one/],
    ['another package or pair', async () => applyDelta(delta, v1, { ...target, to: '1.0.2' }), /not @acme\/delta 1.0.0..1.0.2/],
    ['a result other than the signed files', async () => applyDelta(delta, v1, { ...target, files: { ...target.files, 'extra.js': target.files['README.md']! } }), /not the signed files/],
    ['a new file whose hash is not the signed one', async () => applyDelta(delta, v1, { ...target, files: { ...target.files, 'assets/new.bin': target.files['README.md']! } }), /does not match its signed sha512/],
    ['an installed file the delta neither keeps nor removes', async () => applyDelta(delta, new Map([...v1, ['stray.js', enc('x')]]), target), /neither keeps nor removes/],
    ['a path leaving the package', async () => applyDelta(await withManifest(delta, (m) => (m.files[0]!.path = '../evil.js')), v1, target), /malformed/],
    ['a frame outside the delta', async () => applyDelta(await withManifest(delta, (m) => setFrame(m, 'assets/new.bin', { offset: 1e9 })), v1, target), /outside the delta/],
    ['a frame larger than its manifest size (a bomb)', async () => applyDelta(await withManifest(delta, (m) => setFrame(m, 'assets/new.bin', { size: 10 })), v1, target), /does not declare the size/],
    ['more bytes in all than allowed', async () => applyDelta(delta, v1, target, 10_000), /unpacks to more than 10000 bytes/],
    ['not a delta', async () => applyDelta(enc('PK\u0003\u0004 a zip'), v1, target), /bad magic/],
  ];
  it.each(refusals)('refuses %s with a DeltaError', async (_label, run, message) => {
    const err = await run().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DeltaError);
    expect((err as Error).message).toMatch(message);
  });
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}

type Manifest = Awaited<ReturnType<typeof decodeDelta>>['manifest'];

async function withManifest(delta: Uint8Array, change: (m: Manifest) => void): Promise<Uint8Array> {
  const { manifest, payload } = await decodeDelta(delta);
  const copy = structuredClone(manifest);
  change(copy);
  return encodeDelta(copy, payload);
}

function setFrame(m: Manifest, path: string, values: { offset?: number; size?: number }): void {
  const file = m.files.find((f) => f.path === path);
  if (!file || (file.method !== 'patch' && file.method !== 'whole')) throw new Error(`${path} has no frame`);
  Object.assign(file, values);
}

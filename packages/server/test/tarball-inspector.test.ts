import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { inspectTarball, packDirectory } from '../src/index.js';
import { packageJsonEntry, rawTar, rawTgz } from './support/raw-tar.js';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LIMIT = { maxUnpackedBytes: 10 * 1024 * 1024, maxFiles: 100, maxCompressionRatio: 100 };
const ok = packageJsonEntry('x', '1.0.0');

describe('tarball inspection', () => {
  it('reads package.json and the file list of a tarball made like npm pack', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-pack-'));
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0' }));
    await writeFile(join(dir, 'lib', 'index.js'), 'export {}\n');
    const facts = await inspectTarball(await packDirectory(dir), LIMIT);
    expect(facts.packageJson).toEqual({ name: 'x', version: '1.0.0' });
    expect(facts.files.map((f) => f.path).sort()).toEqual(['lib/index.js', 'package.json']);
  });

  it('accepts in-package relative links and a package/ directory entry', async () => {
    const facts = await inspectTarball(
      rawTgz([{ path: 'package/', type: '5' }, ok, { path: 'package/lib/a.js', body: 'a' }, { path: 'package/lib/b.js', type: '2', linkpath: 'a.js' }, { path: 'package/c.js', type: '1', linkpath: 'package/lib/a.js' }]),
      LIMIT,
    );
    expect(facts.files.map((f) => f.path)).toContain('lib/b.js');
  });

  it.each([
    ['not gzip', () => rawTar([ok]), 'not gzip'],
    ['truncated gzip', () => rawTgz([ok]).subarray(0, 40), 'does not decompress'],
    ['an entry outside package/', () => rawTgz([ok, { path: 'other/evil.js', body: 'x' }]), 'outside package/'],
    ['a .. path', () => rawTgz([ok, { path: 'package/../../etc/passwd', body: 'x' }]), 'outside package/'],
    ['an absolute path', () => rawTgz([ok, { path: '/etc/passwd', body: 'x' }]), 'outside package/'],
    ['a symlink leaving the package', () => rawTgz([ok, { path: 'package/l', type: '2', linkpath: '../../etc/passwd' }]), 'points outside'],
    ['an absolute symlink', () => rawTgz([ok, { path: 'package/l', type: '2', linkpath: '/etc/passwd' }]), 'points outside'],
    ['a hard link leaving the package', () => rawTgz([ok, { path: 'package/h', type: '1', linkpath: 'etc/passwd' }]), 'points outside'],
    ['a character device', () => rawTgz([ok, { path: 'package/dev', type: '3' }]), 'CharacterDevice'],
    ['a FIFO', () => rawTgz([ok, { path: 'package/fifo', type: '6' }]), 'FIFO'],
    ['no package.json', () => rawTgz([{ path: 'package/index.js', body: 'x' }]), 'no package/package.json'],
    ['a package.json that is not JSON', () => rawTgz([{ path: 'package/package.json', body: '{nope' }]), 'not valid JSON'],
    ['a package.json that is an array', () => rawTgz([{ path: 'package/package.json', body: '[]' }]), 'not a JSON object'],
    ['an empty archive', () => gzipSync(Buffer.alloc(1024)), 'malformed'],
    ['a file named __proto__ at the package root', () => rawTgz([ok, { path: 'package/__proto__', body: 'x' }]), 'cannot be listed in signed per-file hashes'],
  ])('refuses %s', async (_label, make, message) => {
    await expect(inspectTarball(make(), LIMIT)).rejects.toThrow(message);
  });

  it('refuses a tarball that unpacks beyond the limit (gzip bomb)', async () => {
    const bomb = rawTgz([ok, { path: 'package/zeros', body: Buffer.alloc(4 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    await expect(inspectTarball(bomb, { ...LIMIT, maxUnpackedBytes: 1024 * 1024, maxCompressionRatio: 10_000 })).rejects.toThrow('unpacks to more than 1048576 bytes');
  });

  it('refuses a compression ratio only a bomb has, once past 1 MiB, under the size limit', async () => {
    const bomb = rawTgz([ok, { path: 'package/zeros', body: Buffer.alloc(4 * 1024 * 1024) }]);
    await expect(inspectTarball(bomb, LIMIT)).rejects.toThrow(/unpacks to more than 100 times its \d+ bytes: refused as a decompression bomb/);
    // Small files compress as well as they like.
    const small = rawTgz([ok, { path: 'package/zeros', body: Buffer.alloc(512 * 1024) }]);
    expect((await inspectTarball(small, LIMIT)).unpackedSize).toBeGreaterThan(512 * 1024);
  });

  it('stops inflating at the limit, whatever the entry headers claim (bytes after the archive)', async () => {
    const archive = rawTar([ok]);
    const bomb = gzipSync(Buffer.concat([archive, Buffer.alloc(64 * 1024 * 1024)]));
    await expect(inspectTarball(bomb, { maxUnpackedBytes: 1024 * 1024, maxFiles: 10, maxCompressionRatio: 100 })).rejects.toThrow('unpacks to more than');
  });

  it('refuses more entries than the limit: each one is listed in signed metadata and the SBOM', async () => {
    const many = rawTgz([ok, ...Array.from({ length: 100 }, (_, i) => ({ path: `package/f${i}.js`, body: 'x' }))]);
    await expect(inspectTarball(many, LIMIT)).rejects.toThrow('tarball has more than 100 entries');
    expect((await inspectTarball(many, { ...LIMIT, maxFiles: 101 })).files).toHaveLength(101);
  });
});

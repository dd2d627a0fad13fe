import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { packDirectory, readTarball, sha512, sri, TarballError } from '@wharf/tarball/node';
import { rawTar, rawTgz } from '../../server/test/support/raw-tar.js';

const ok = { path: 'package/package.json', body: '{"name":"x","version":"1.0.0"}' };

describe('readTarball', () => {
  it('reads what packDirectory writes: sorted files, sizes, sha512 as they stream, package.json, kept bodies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-tarball-'));
    const long = `${'deep/'.repeat(30)}file.js`;
    await mkdir(join(dir, long, '..'), { recursive: true });
    await writeFile(join(dir, 'package.json'), '{"name":"x","version":"1.0.0"}');
    await writeFile(join(dir, long), 'export const deep = true;\n');
    await writeFile(join(dir, 'big.bin'), Buffer.alloc(300_000, 7));
    const contents = await readTarball(await packDirectory(dir), { hash: sha512, keep: (p) => p === 'big.bin' });
    expect(contents.files.map((f) => f.path)).toEqual(['big.bin', long, 'package.json']);
    expect(contents.files.map((f) => f.size)).toEqual([300_000, 26, 30]);
    expect(sri(contents.files[0]!.hash!)).toBe(`sha512-${createHash('sha512').update(Buffer.alloc(300_000, 7)).digest('base64')}`);
    expect(Buffer.from(contents.files[0]!.bytes!).equals(Buffer.alloc(300_000, 7))).toBe(true);
    expect(contents.files[1]!.bytes).toBeUndefined();
    expect(new TextDecoder().decode(contents.packageJson!)).toBe('{"name":"x","version":"1.0.0"}');
    expect(contents.unpackedSize).toBe(300_056);
  });

  it('lists in-package links in package mode and refuses them in install mode', async () => {
    const tgz = rawTgz([ok, { path: 'package/a.js', body: 'a' }, { path: 'package/b.js', type: '2', linkpath: 'a.js' }]);
    expect((await readTarball(tgz)).links).toEqual([{ path: 'b.js', type: 'SymbolicLink', target: 'a.js' }]);
    await expect(readTarball(tgz, { mode: 'install' })).rejects.toThrow('archive entry "package/b.js" is not a regular file (SymbolicLink)');
  });

  it.each([
    ['a path twice', [ok, { path: 'package/a.js', body: 'a' }, { path: 'package/./a.js', body: 'b' }], 'holds "a.js" twice'],
    ['a .. path', [ok, { path: 'package/../evil.js', body: 'x' }], 'outside package/ (unsafe path)'],
    ['a link escaping through ..', [ok, { path: 'package/lib/l', type: '2' as const, linkpath: '../../x' }], 'points outside the package'],
    ['a header with a bad checksum', [ok], 'bad header checksum'],
  ])('refuses %s', async (label, entries, message) => {
    let tar = rawTar(entries);
    if (label === 'a header with a bad checksum') tar = Buffer.concat([tar.subarray(0, 100), Buffer.from('X'), tar.subarray(101)]);
    await expect(readTarball(gzipSync(tar))).rejects.toThrow(message);
  });

  it('bounds what it inflates, the bytes after the end-of-archive block included', async () => {
    const tgz = gzipSync(Buffer.concat([rawTar([ok]), Buffer.alloc(64 * 1024 * 1024)]));
    await expect(readTarball(tgz, { limits: { maxUnpackedBytes: 1024 * 1024, maxFiles: 10 } })).rejects.toThrow('unpacks to more than 1048576 bytes');
    // The usual zero padding after the archive is fine.
    expect((await readTarball(gzipSync(Buffer.concat([rawTar([ok]), Buffer.alloc(10240)])))).files).toHaveLength(1);
  });

  it('refuses a body cut short, and says why for every refusal with a TarballError', async () => {
    const tar = rawTar([ok, { path: 'package/a.js', body: 'x'.repeat(2000) }]);
    const err = await readTarball(gzipSync(tar.subarray(0, 1200))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TarballError);
    expect((err as Error).message).toBe('tarball is malformed: it ends inside an entry');
  });
});

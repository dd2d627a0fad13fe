import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { create } from 'tar';
import { tarballFileName, type PackumentWrite } from '@wharf/core';
import { readTarball, type Hasher, type TarballContents } from './read.js';

export * from './index.js';

/** node:crypto's sha512, incremental: what per-file signed hashes use, many times faster than a JS hash. */
export const sha512: () => Hasher = () => createHash('sha512');

/** `sha512-<base64>`: the SRI form of a file's or a tarball's hash in signed metadata and `dist.integrity`. */
export function sri(hash: Uint8Array): string {
  return `sha512-${Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('base64')}`;
}

/** The sha512 SRI of every regular file of a tarball read with `hash: sha512`, keyed by package-relative path. */
export function fileHashes(contents: TarballContents): Record<string, string> {
  return Object.fromEntries(contents.files.map((f) => [f.path, sri(f.hash!)]));
}

/**
 * What publishers sign and installers check: the sha512 SRI of every regular file of a tarball,
 * keyed by its path inside `package/`. With no limits: for tarballs already vetted (by the registry
 * at publish, or packed here).
 */
export async function tarballFileHashes(tgz: Uint8Array): Promise<Record<string, string>> {
  return fileHashes(await readTarball(tgz, { hash: sha512, limits: { maxUnpackedBytes: Number.MAX_SAFE_INTEGER } }));
}

/** Packs a directory the way `npm pack` does (entries under `package/`, gzip, portable headers). */
export async function packDirectory(dir: string): Promise<Buffer> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => `${e.parentPath ?? e.path}/${e.name}`.slice(dir.length + 1))
    .sort();
  const chunks: Buffer[] = [];
  const stream = create({ gzip: true, cwd: dir, prefix: 'package', portable: true, noMtime: true }, files);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The body `npm publish` sends for a packed tarball and its manifest. */
export function publishDocument(manifest: { name: string; version: string } & Record<string, unknown>, tarball: Buffer, tag = 'latest'): PackumentWrite {
  const integrity = sri(createHash('sha512').update(tarball).digest());
  const shasum = createHash('sha1').update(tarball).digest('hex');
  return {
    _id: manifest.name,
    name: manifest.name,
    description: typeof manifest.description === 'string' ? manifest.description : undefined,
    'dist-tags': { [tag]: manifest.version },
    versions: { [manifest.version]: { ...manifest, _id: `${manifest.name}@${manifest.version}`, dist: { integrity, shasum } } },
    _attachments: { [tarballFileName(manifest.name, manifest.version)]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
  };
}

import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';

/** Why a tarball could not be read; the registry answers it as 422. */
export class TarballError extends Error {}

/**
 * Feeds a gzip'd tarball to a tar parser as it decompresses. zlib works on its thread pool and hands
 * over 64 KiB at a time, so neither a large package nor a decompression bomb holds the event loop;
 * decompression stops as soon as the output passes `maxBytes` or `stop()` says so (the caller found
 * a reason to refuse), without ever holding the whole tar in memory.
 */
export function feedTarball(tgz: Uint8Array, parser: Parser, maxBytes: number, stop: () => boolean = () => false): Promise<void> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: 64 * 1024 });
    let out = 0;
    const halt = (err: Error | null) => {
      gunzip.removeAllListeners('data');
      gunzip.destroy();
      if (err) reject(err);
      else resolve();
    };
    gunzip.on('data', (chunk: Buffer) => {
      out += chunk.length;
      if (out > maxBytes) return halt(new TarballError(`tarball unpacks to more than ${maxBytes} bytes`));
      parser.write(chunk);
      if (stop()) halt(null);
    });
    gunzip.on('end', () => parser.end());
    gunzip.on('error', (err) => halt(new TarballError(`tarball does not decompress: ${err.message}`)));
    parser.on('error', (err: Error) => halt(new TarballError(`tarball is malformed: ${err.message}`)));
    parser.on('end', () => resolve());
    gunzip.end(tgz);
  });
}

export interface TarballFile {
  /** Path inside `package/`. */
  path: string;
  size: number;
  sha512: Buffer;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/**
 * Every regular file of a package tarball the registry has already accepted, with its sha512,
 * sorted by path: what per-file signed hashes and the SBOM are made of.
 */
export async function tarballFiles(tgz: Uint8Array): Promise<TarballFile[]> {
  const files: TarballFile[] = [];
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      if (!FILE_TYPES.has(entry.type)) return entry.resume();
      const hash = createHash('sha512');
      entry.on('data', (c: Buffer) => hash.update(c));
      entry.on('end', () => files.push({ path: entry.path.replace(/^package\//, ''), size: entry.size, sha512: hash.digest() }));
    },
  });
  await feedTarball(tgz, parser, Number.MAX_SAFE_INTEGER);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';

export class UnpackError extends Error {}

/**
 * Reads a verified tarball in memory and checks every file against the signed per-file hashes
 * before anything touches the disk: same set of files, same sha512, no links, nothing outside.
 */
export async function unpackVerified(tgz: Uint8Array, signedFiles: Record<string, string>): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let problem: string | null = null;
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const path = entry.path.replace(/^package\//, '');
      if (entry.type === 'Directory') return entry.resume();
      if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
        problem ??= `tarball entry ${entry.path} is a ${entry.type}`;
        return entry.resume();
      }
      const normal = posix.normalize(path);
      if (!entry.path.startsWith('package/') || normal.startsWith('..') || posix.isAbsolute(normal)) {
        problem ??= `tarball entry ${entry.path} is outside package/`;
        return entry.resume();
      }
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => out.set(normal, Buffer.concat(chunks)));
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', () => resolve());
    parser.end(gunzipSync(tgz));
  });
  if (problem) throw new UnpackError(problem);
  for (const [path, bytes] of out) {
    const expected = signedFiles[path];
    if (!expected) throw new UnpackError(`file ${path} is not in the signed file list`);
    if (`sha512-${createHash('sha512').update(bytes).digest('base64')}` !== expected) throw new UnpackError(`file ${path} does not match its signed sha512`);
  }
  for (const path of Object.keys(signedFiles)) if (!out.has(path)) throw new UnpackError(`signed file ${path} is missing from the tarball`);
  return out;
}

import { sriOf } from '@wharf/core';
import { unpackTarball } from './tar.js';

/**
 * Unpacks a tarball and checks it file by file against the signed sha512 of each path: a file that
 * differs, a file the signature does not list, or a listed file that is missing all refuse it.
 * Returns the files, or the reason they are refused.
 */
export async function unpackVerified(tgz: Uint8Array, signed: Record<string, string>): Promise<{ files: Map<string, Uint8Array> } | { problem: string }> {
  let files: Map<string, Uint8Array>;
  try {
    files = await unpackTarball(tgz);
  } catch (err) {
    return { problem: `unreadable archive: ${(err as Error).message}` };
  }
  for (const path of Object.keys(signed)) if (!files.has(path)) return { problem: `${path} is signed but missing from the archive` };
  const paths = [...files.keys()];
  const hashes = await Promise.all(paths.map((p) => sriOf(files.get(p)!)));
  for (const [i, path] of paths.entries()) {
    const expected = signed[path];
    if (expected === undefined) return { problem: `${path} is in the archive but not in the signed file list` };
    if (hashes[i] !== expected) return { problem: `${path} differs from its signed sha512` };
  }
  return { files };
}

import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/**
 * sha512 SRI of every regular file of a package tarball, keyed by its path inside `package/`:
 * what publishers sign and installers check after unpacking.
 */
export async function tarballFileHashes(tgz: Uint8Array): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const path = entry.path.replace(/^package\//, '');
      if (!FILE_TYPES.has(entry.type)) return entry.resume();
      const hash = createHash('sha512');
      entry.on('data', (c: Buffer) => hash.update(c));
      entry.on('end', () => {
        out[path] = `sha512-${hash.digest('base64')}`;
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', () => resolve());
    parser.end(gunzipSync(tgz));
  });
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

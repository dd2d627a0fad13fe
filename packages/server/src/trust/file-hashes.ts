import { tarballFiles } from '../registry/tgz-stream.js';

/**
 * sha512 SRI of every regular file of a package tarball, keyed by its path inside `package/`:
 * what publishers sign and installers check after unpacking.
 */
export async function tarballFileHashes(tgz: Uint8Array): Promise<Record<string, string>> {
  return Object.fromEntries((await tarballFiles(tgz)).map((f) => [f.path, `sha512-${f.sha512.toString('base64')}`]));
}

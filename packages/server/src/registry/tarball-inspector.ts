import { fileHashes, readTarball, sha512, TarballError, type TarballLimits } from '@wharf/tarball/node';
import { jsonDeeperThan, MAX_JSON_DEPTH } from '../http.js';

export { TarballError, type TarballLimits };

export interface TarballFacts {
  packageJson: Record<string, unknown>;
  /** Every file and in-package link, with its size. */
  files: { path: string; size: number }[];
  /** The sha512 SRI of every regular file, keyed by package-relative path: what signed metadata lists. */
  fileHashes: Record<string, string>;
  unpackedSize: number;
}

/**
 * Reads a package tarball once, without unpacking it to disk, and refuses anything an installer
 * should not have to trust (see @wharf/tarball: paths and links leaving the package, devices, more
 * entries or unpacked bytes than allowed, a compression ratio only a bomb has), then its package.json.
 * Every file is hashed as it streams by: the per-file hashes the signed metadata and the SBOM list.
 */
export async function inspectTarball(bytes: Uint8Array, limits: TarballLimits): Promise<TarballFacts> {
  const contents = await readTarball(bytes, { limits, hash: sha512 });
  const files = [...contents.files.map(({ path, size }) => ({ path, size })), ...contents.links.map(({ path }) => ({ path, size: 0 }))];
  if (files.length === 0) throw new TarballError('tarball has no files');
  if (!contents.packageJson) throw new TarballError('tarball has no package/package.json');
  let parsed: unknown;
  const text = new TextDecoder().decode(contents.packageJson);
  if (jsonDeeperThan(text, MAX_JSON_DEPTH)) throw new TarballError(`package/package.json nests arrays and objects more than ${MAX_JSON_DEPTH} deep`);
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TarballError('package/package.json is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TarballError('package/package.json is not a JSON object');
  return { packageJson: parsed as Record<string, unknown>, files, fileHashes: fileHashes(contents), unpackedSize: contents.unpackedSize };
}

import { readTarball, sha512, sri, TarballError } from '@wharf/tarball/node';

export class UnpackError extends Error {}

/**
 * Reads a verified tarball in memory (through the one reader every part of Wharf shares) and checks
 * every file against the signed per-file hashes before anything touches the disk: same set of
 * files, same sha512, regular files only, nothing outside the package.
 */
export async function unpackVerified(tgz: Uint8Array, signedFiles: Record<string, string>): Promise<Map<string, Buffer>> {
  let files;
  try {
    ({ files } = await readTarball(tgz, { mode: 'install', hash: sha512, keep: () => true }));
  } catch (err) {
    if (err instanceof TarballError) throw new UnpackError(err.message);
    throw err;
  }
  const out = new Map<string, Buffer>();
  for (const file of files) {
    const expected = signedFiles[file.path];
    if (!expected) throw new UnpackError(`file ${file.path} is not in the signed file list`);
    if (sri(file.hash!) !== expected) throw new UnpackError(`file ${file.path} does not match its signed sha512`);
    out.set(file.path, Buffer.from(file.bytes!.buffer, file.bytes!.byteOffset, file.bytes!.byteLength));
  }
  for (const path of Object.keys(signedFiles)) if (!out.has(path)) throw new UnpackError(`signed file ${path} is missing from the tarball`);
  return out;
}

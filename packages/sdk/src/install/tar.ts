import { readTarball } from '@wharf/tarball';

/**
 * The regular files of a .tgz by package-relative path, as an installer writes them: links, devices,
 * duplicate and unsafe paths are refused, unpacked size bounded (@wharf/tarball, the reader every part
 * of Wharf shares).
 */
export async function unpackTarball(tgz: Uint8Array): Promise<Map<string, Uint8Array>> {
  const { files } = await readTarball(tgz, { mode: 'install', keep: () => true });
  return new Map(files.map((f) => [f.path, f.bytes!]));
}

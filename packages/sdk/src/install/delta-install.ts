import { applyDelta } from '@wharf/delta';
import { encodeFilePack } from './file-pack.js';

/**
 * The files of the new version from a verified delta download and the installed version's files,
 * and the pack the installer stores them as. A module of its own so that it, @wharf/delta and the
 * zstd WebAssembly load only when a delta is used.
 */
export async function filesFromDelta(
  got: { bytes: Uint8Array; files: Record<string, string> },
  old: Map<string, Uint8Array>,
  pair: { name: string; from: string; to: string },
): Promise<{ files: Map<string, Uint8Array>; pack: Uint8Array }> {
  const files = await applyDelta(got.bytes, old, { ...pair, files: got.files });
  return { files, pack: encodeFilePack(files) };
}

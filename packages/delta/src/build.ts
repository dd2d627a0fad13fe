import { DELTA_FORMAT, type DeltaFile } from '@wharf/core';
import { encodeDelta } from './container.js';
import { compressFrame, zstdReady } from './zstd.js';

export interface VersionFiles {
  version: string;
  /** Every regular file by package-relative path, as @wharf/tarball reads them. */
  files: Map<string, Uint8Array>;
}

/**
 * The delta from one version to another: unchanged files are not named at all (the client knows
 * both file lists: the one it holds and the signed new one), removed ones are listed, and for each
 * changed or new file whichever zstd frame is smaller, the new bytes with the old file as
 * dictionary (`patch`, zstd --patch-from's idea) or alone (`whole`). Paths are sorted, so the same
 * pair always gives the same bytes (content-addressed storage, CDN caching).
 */
export async function buildDelta(name: string, from: VersionFiles, to: VersionFiles): Promise<Uint8Array> {
  await zstdReady();
  const paths = [...new Set([...from.files.keys(), ...to.files.keys()])].sort();
  const entries: DeltaFile[] = [];
  const frames: Uint8Array[] = [];
  let offset = 0;
  const frame = (bytes: Uint8Array) => {
    const at = offset;
    frames.push(bytes);
    offset += bytes.length;
    return { offset: at, length: bytes.length };
  };
  for (const path of paths) {
    const before = from.files.get(path);
    const after = to.files.get(path);
    if (!after) {
      entries.push({ method: 'removed', path });
      continue;
    }
    if (before && sameBytes(before, after)) continue;
    const whole = compressFrame(after);
    const patch = before && before.length > 0 ? compressFrame(after, before) : null;
    if (patch && patch.length < whole.length) entries.push({ method: 'patch', path, size: after.length, ...frame(patch) });
    else entries.push({ method: 'whole', path, size: after.length, ...frame(whole) });
  }
  const payload = new Uint8Array(offset);
  let at = 0;
  for (const f of frames) {
    payload.set(f, at);
    at += f.length;
  }
  return encodeDelta({ format: DELTA_FORMAT, name, from: from.version, to: to.version, files: entries }, payload);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

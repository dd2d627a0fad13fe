import { deltaPathProblem, sriOf, type DeltaManifest } from '@wharf/core';
import { decodeDelta } from './container.js';
import { DeltaError } from './errors.js';
import { decompressFrame, frameContentSize, zstdReady } from './zstd.js';

export interface DeltaTarget {
  name: string;
  /** The version the client holds. */
  from: string;
  /** The version it updates to. */
  to: string;
  /** The new version's signed per-file sha512 (TUF targets `custom.files`): the result must be exactly these files. */
  files: Record<string, string>;
}

/** The SDK's bound for one plugin, as for a full download (@wharf/tarball's default). */
const DEFAULT_MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

/**
 * Applies a delta to the files of the version a client holds (read from its verified install) and
 * returns the files of the new one, or throws DeltaError and changes nothing: the manifest must be
 * for this package and pair, account for every old file and yield exactly the signed new files;
 * every frame must declare its size (so nothing inflates beyond the manifest, nor past
 * `maxUnpackedBytes` in all), and every file it yields, unchanged ones included, must hash to its
 * signed sha512: a patch applied to another old file than the one it was made from fails there.
 */
export async function applyDelta(
  delta: Uint8Array,
  old: Map<string, Uint8Array>,
  target: DeltaTarget,
  maxUnpackedBytes = DEFAULT_MAX_UNPACKED_BYTES,
): Promise<Map<string, Uint8Array>> {
  const { manifest, payload } = await decodeDelta(delta);
  checkCoverage(manifest, old, target);
  await zstdReady();
  const out = new Map<string, Uint8Array>();
  let total = 0;
  const named = new Set(manifest.files.map((f) => f.path));
  // Files the delta does not name are the same in both versions: the installed ones, if signed.
  for (const [path, before] of old) {
    if (named.has(path)) continue;
    if ((await sriOf(before)) !== target.files[path]) throw new DeltaError(`${path}: unchanged in the delta, but the installed file is not the signed one`);
    out.set(path, before);
    total += before.length;
  }
  if (total > maxUnpackedBytes) throw new DeltaError(`the delta unpacks to more than ${maxUnpackedBytes} bytes`);
  for (const file of manifest.files) {
    if (file.method === 'removed') continue;
    total += file.size;
    if (total > maxUnpackedBytes) throw new DeltaError(`the delta unpacks to more than ${maxUnpackedBytes} bytes`);
    if (file.offset + file.length > payload.length) throw new DeltaError(`${file.path}: its frame lies outside the delta`);
    const frame = payload.subarray(file.offset, file.offset + file.length);
    if (frameContentSize(frame) !== file.size) throw new DeltaError(`${file.path}: its frame does not declare the size the manifest gives (${file.size} bytes)`);
    let bytes: Uint8Array;
    try {
      bytes = decompressFrame(frame, file.size, file.method === 'patch' ? old.get(file.path) : undefined);
    } catch (err) {
      throw new DeltaError(`${file.path}: the frame does not decompress (${(err as Error).message})`);
    }
    if (bytes.length !== file.size) throw new DeltaError(`${file.path}: inflated to ${bytes.length} bytes, not ${file.size}`);
    if ((await sriOf(bytes)) !== target.files[file.path]) throw new DeltaError(`${file.path}: the patched file does not match its signed sha512`);
    out.set(file.path, bytes);
  }
  return out;
}

/** The manifest speaks of this package and pair, names each file once and, with the files it leaves alone, yields exactly the signed new files. */
function checkCoverage(manifest: DeltaManifest, old: Map<string, Uint8Array>, target: DeltaTarget): void {
  if (manifest.name !== target.name || manifest.from !== target.from || manifest.to !== target.to) {
    throw new DeltaError(`the delta is for ${manifest.name} ${manifest.from}..${manifest.to}, not ${target.name} ${target.from}..${target.to}`);
  }
  const seen = new Set<string>();
  const produced = new Set<string>();
  for (const file of manifest.files) {
    const problem = deltaPathProblem(file.path);
    if (problem) throw new DeltaError(`delta path ${JSON.stringify(file.path)} ${problem}`);
    if (seen.has(file.path)) throw new DeltaError(`the delta lists ${file.path} twice`);
    seen.add(file.path);
    if (file.method !== 'removed') produced.add(file.path);
    if (file.method !== 'whole' && !old.has(file.path)) throw new DeltaError(`${file.path}: the delta expects a file the installed version does not have`);
  }
  for (const path of old.keys()) {
    if (seen.has(path)) continue;
    if (!(path in target.files)) throw new DeltaError(`${path}: an installed file the delta neither keeps nor removes`);
    produced.add(path);
  }
  const signed = Object.keys(target.files);
  if (signed.length !== produced.size || signed.some((p) => !produced.has(p))) throw new DeltaError('the files the delta yields are not the signed files of the new version');
}

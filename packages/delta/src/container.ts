import { DeltaManifestSchema, type DeltaManifest } from '@wharf/core';
import { DeltaError } from './errors.js';
import { compressFrame, decompressFrame, frameContentSize, zstdReady } from './zstd.js';

/**
 * A delta is one file, so that a CDN or a static mirror serves it as it serves a tarball, and one
 * sha256 in signed metadata covers all of it: an 8-byte magic, the length of the compressed
 * manifest (4 bytes, big endian), the manifest as zstd-compressed JSON (paths repeat: a package of
 * 600 files has a 30 KB manifest that compresses to a few), then the frames the manifest points into.
 */
const MAGIC = new TextEncoder().encode('WHDELTA1');
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export async function encodeDelta(manifest: DeltaManifest, payload: Uint8Array): Promise<Uint8Array> {
  await zstdReady();
  const json = compressFrame(new TextEncoder().encode(JSON.stringify(manifest)));
  const out = new Uint8Array(MAGIC.length + 4 + json.length + payload.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length);
  out.set(json, MAGIC.length + 4);
  out.set(payload, MAGIC.length + 4 + json.length);
  return out;
}

export async function decodeDelta(delta: Uint8Array): Promise<{ manifest: DeltaManifest; payload: Uint8Array }> {
  const head = MAGIC.length + 4;
  if (delta.length < head || MAGIC.some((b, i) => delta[i] !== b)) throw new DeltaError('not a Wharf delta (bad magic)');
  const length = new DataView(delta.buffer, delta.byteOffset, delta.byteLength).getUint32(MAGIC.length);
  if (head + length > delta.length) throw new DeltaError('delta manifest length is out of bounds');
  const frame = delta.subarray(head, head + length);
  const size = frameContentSize(frame);
  if (size === null || size > MAX_MANIFEST_BYTES) throw new DeltaError('delta manifest does not declare a size within bounds');
  await zstdReady();
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(decompressFrame(frame, size)));
  } catch {
    throw new DeltaError('delta manifest does not decompress to JSON');
  }
  const parsed = DeltaManifestSchema.safeParse(json);
  if (!parsed.success) throw new DeltaError(`delta manifest is malformed: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return { manifest: parsed.data, payload: delta.subarray(head + length) };
}

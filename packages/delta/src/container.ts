import { DeltaManifestSchema, type DeltaManifest } from '@wharf/core';
import { DeltaError } from './errors.js';

/**
 * A delta is one file, so that a CDN or a static mirror serves it as it serves a tarball, and one
 * sha256 in signed metadata covers all of it: an 8-byte magic, the manifest's length (4 bytes, big
 * endian), the manifest as JSON, then the zstd frames the manifest points into.
 */
const MAGIC = new TextEncoder().encode('WHDELTA1');
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export function encodeDelta(manifest: DeltaManifest, payload: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  const out = new Uint8Array(MAGIC.length + 4 + json.length + payload.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length);
  out.set(json, MAGIC.length + 4);
  out.set(payload, MAGIC.length + 4 + json.length);
  return out;
}

export function decodeDelta(delta: Uint8Array): { manifest: DeltaManifest; payload: Uint8Array } {
  const head = MAGIC.length + 4;
  if (delta.length < head || MAGIC.some((b, i) => delta[i] !== b)) throw new DeltaError('not a Wharf delta (bad magic)');
  const length = new DataView(delta.buffer, delta.byteOffset, delta.byteLength).getUint32(MAGIC.length);
  if (length > MAX_MANIFEST_BYTES || head + length > delta.length) throw new DeltaError('delta manifest length is out of bounds');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(delta.subarray(head, head + length)));
  } catch {
    throw new DeltaError('delta manifest is not JSON');
  }
  const parsed = DeltaManifestSchema.safeParse(json);
  if (!parsed.success) throw new DeltaError(`delta manifest is malformed: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return { manifest: parsed.data, payload: delta.subarray(head + length) };
}

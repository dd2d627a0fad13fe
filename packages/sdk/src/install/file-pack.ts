/**
 * An installed version kept as its files rather than its tarball: what a delta update produces (a
 * delta rebuilds files, not the publisher's gzip bytes). One deterministic blob (paths sorted), so
 * the state record can name it by one sha512 like a tarball: an 8-byte magic, the index's length (4
 * bytes, big endian), the index as JSON (`[path, length]` pairs), then the bodies in that order.
 */
const MAGIC = new TextEncoder().encode('WHFILES1');

export function encodeFilePack(files: Map<string, Uint8Array>): Uint8Array {
  const paths = [...files.keys()].sort();
  const index = new TextEncoder().encode(JSON.stringify(paths.map((p) => [p, files.get(p)!.length])));
  const size = paths.reduce((n, p) => n + files.get(p)!.length, 0);
  const out = new Uint8Array(MAGIC.length + 4 + index.length + size);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, index.length);
  out.set(index, MAGIC.length + 4);
  let at = MAGIC.length + 4 + index.length;
  for (const p of paths) {
    out.set(files.get(p)!, at);
    at += files.get(p)!.length;
  }
  return out;
}

/** Reads a pack back; throws on anything but a well-formed one (the caller has checked its hash already). */
export function decodeFilePack(pack: Uint8Array): Map<string, Uint8Array> {
  const head = MAGIC.length + 4;
  if (pack.length < head || MAGIC.some((b, i) => pack[i] !== b)) throw new Error('not a file pack');
  const length = new DataView(pack.buffer, pack.byteOffset, pack.byteLength).getUint32(MAGIC.length);
  if (head + length > pack.length) throw new Error('file pack index out of bounds');
  const index = JSON.parse(new TextDecoder().decode(pack.subarray(head, head + length))) as unknown;
  if (!Array.isArray(index)) throw new Error('file pack index is not a list');
  const files = new Map<string, Uint8Array>();
  let at = head + length;
  for (const entry of index as unknown[]) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Number.isSafeInteger(entry[1]) || (entry[1] as number) < 0) throw new Error('file pack index entry is malformed');
    const size = entry[1] as number;
    if (at + size > pack.length) throw new Error('file pack body out of bounds');
    files.set(entry[0], pack.subarray(at, at + size));
    at += size;
  }
  if (at !== pack.length) throw new Error('file pack has trailing bytes');
  return files;
}

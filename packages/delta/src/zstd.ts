import { compress, compressUsingDict, createCCtx, createDCtx, decompress, decompressUsingDict, freeCCtx, freeDCtx, init } from '@bokuweb/zstd-wasm';

/**
 * zstd through @bokuweb/zstd-wasm: the same WebAssembly build in Node and in browsers, so what the
 * server writes is read by the very code every client runs. (Node 20's zlib has no zstd.)
 */
let ready: Promise<void> | null = null;
export const zstdReady = (): Promise<void> => (ready ??= init());

/** Level 19: deltas are built once per version pair, off the publish path, and downloaded by every client. */
const LEVEL = 19;

export function compressFrame(data: Uint8Array, dictionary?: Uint8Array): Uint8Array {
  if (!dictionary || dictionary.length === 0) return compress(data, LEVEL);
  const cctx = createCCtx();
  try {
    return compressUsingDict(cctx, data, dictionary, LEVEL);
  } finally {
    freeCCtx(cctx);
  }
}

export function decompressFrame(frame: Uint8Array, size: number, dictionary?: Uint8Array): Uint8Array {
  // The WASM heap is sized to the declared size, checked against the manifest before this is called.
  const opts = { defaultHeapSize: Math.max(size, 1) };
  if (!dictionary || dictionary.length === 0) return decompress(frame, opts);
  const dctx = createDCtx();
  try {
    return decompressUsingDict(dctx, frame, dictionary, opts);
  } finally {
    freeDCtx(dctx);
  }
}

/**
 * The decompressed size a zstd frame declares in its header (RFC 8878 §3.1.1.1), or null when it
 * declares none or is not one frame: a client refuses a frame whose size it cannot know before
 * inflating it, so no delta can expand beyond what its manifest says.
 */
export function frameContentSize(frame: Uint8Array): number | null {
  if (frame.length < 6 || frame[0] !== 0x28 || frame[1] !== 0xb5 || frame[2] !== 0x2f || frame[3] !== 0xfd) return null;
  const descriptor = frame[4]!;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][descriptor & 3]!;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0) return null;
  let at = 5 + (singleSegment ? 0 : 1) + dictIdBytes;
  if (at + fcsBytes > frame.length) return null;
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + frame[at + i]!;
  at += fcsBytes;
  return fcsBytes === 2 ? size + 256 : size;
}

/**
 * MurmurHash3 x86 32-bit over the UTF-8 bytes of a string, as Unleash's Go, Java, .NET and Rust
 * (Yggdrasil) SDKs hash. Written here rather than taken from npm because the usual package
 * (murmurhash3js) hashes the low byte of each UTF-16 unit, which differs for any non-ASCII
 * identifier, and because evaluation needs it allocation-free: strings are encoded into one reused
 * buffer and the bucket key `groupId:stickiness` is never built as a string.
 */

let buffer = new Uint8Array(256);

/** Writes the UTF-8 bytes of `s` at `at` (lone surrogates as U+FFFD, like TextEncoder); returns the end. */
function encode(s: string, at: number): number {
  if (buffer.length < at + s.length * 3) {
    const bigger = new Uint8Array(Math.max(buffer.length * 2, at + s.length * 3));
    bigger.set(buffer.subarray(0, at));
    buffer = bigger;
  }
  const b = buffer;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) b[at++] = c;
    else if (c < 0x800) {
      b[at++] = 0xc0 | (c >> 6);
      b[at++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
        const low = s.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
          b[at++] = 0xf0 | (c >> 18);
          b[at++] = 0x80 | ((c >> 12) & 0x3f);
          b[at++] = 0x80 | ((c >> 6) & 0x3f);
          b[at++] = 0x80 | (c & 0x3f);
          continue;
        }
      }
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      b[at++] = 0xe0 | (c >> 12);
      b[at++] = 0x80 | ((c >> 6) & 0x3f);
      b[at++] = 0x80 | (c & 0x3f);
    }
  }
  return at;
}

/** The hash of the first `length` bytes of the shared buffer. */
function hashBuffer(length: number, seed: number): number {
  const b = buffer;
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (length & 3) {
    case 3:
      k ^= b[blocks + 2]! << 16;
    // falls through
    case 2:
      k ^= b[blocks + 1]! << 8;
    // falls through
    case 1:
      k ^= b[blocks]!;
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function murmurhash3(key: string, seed = 0): number {
  return hashBuffer(encode(key, 0), seed);
}

/** Unleash's seed for variant selection, so that variant buckets are independent of rollout buckets. */
export const VARIANT_SEED = 86028157;

/** Unleash's bucket of `stickiness` within `groupId`: 1..normaliser (100 for rollouts, total weight for variants). */
export function normalizedValue(stickiness: string, groupId: string, normaliser = 100, seed = 0): number {
  let end = encode(groupId, 0);
  buffer[end++] = 0x3a; // ':'
  return (hashBuffer(encode(stickiness, end), seed) % normaliser) + 1;
}

/** `normalizedValue` with the group fixed, its `groupId:` bytes encoded once: what compiled strategies call. */
export function bucketer(groupId: string, normaliser = 100, seed = 0): (stickiness: string) => number {
  const prefix = buffer.slice(0, encode(`${groupId}:`, 0));
  // The shared buffer only grows, and `prefix` came from it: it always fits.
  return (stickiness) => {
    buffer.set(prefix);
    return (hashBuffer(encode(stickiness, prefix.length), seed) % normaliser) + 1;
  };
}

/**
 * MurmurHash3 x86 32-bit over the UTF-8 bytes of a string, as Unleash's Go, Java, .NET and Rust
 * (Yggdrasil) SDKs hash. Written here rather than taken from npm because the usual package
 * (murmurhash3js) hashes the low byte of each UTF-16 unit, which differs for any non-ASCII
 * identifier, and because the encoding is done inline: evaluation must not allocate on its hot path.
 */
export function murmurhash3(key: string, seed = 0): number {
  let h = seed >>> 0;
  let k = 0;
  let shift = 0;
  let length = 0;
  const mix = (byte: number) => {
    k |= byte << shift;
    shift += 8;
    length++;
    if (shift === 32) {
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      k = 0;
      shift = 0;
    }
  };
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i);
    if (c < 0x80) mix(c);
    else if (c < 0x800) {
      mix(0xc0 | (c >> 6));
      mix(0x80 | (c & 0x3f));
    } else {
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < key.length) {
        const low = key.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
          mix(0xf0 | (c >> 18));
          mix(0x80 | ((c >> 12) & 0x3f));
          mix(0x80 | ((c >> 6) & 0x3f));
          mix(0x80 | (c & 0x3f));
          continue;
        }
      }
      // A lone surrogate encodes as U+FFFD, as TextEncoder does.
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      mix(0xe0 | (c >> 12));
      mix(0x80 | ((c >> 6) & 0x3f));
      mix(0x80 | (c & 0x3f));
    }
  }
  if (shift > 0) {
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

/** Unleash's seed for variant selection, so that variant buckets are independent of rollout buckets. */
export const VARIANT_SEED = 86028157;

/** Unleash's bucket of `stickiness` within `groupId`: 1..normaliser (100 for rollouts, total weight for variants). */
export function normalizedValue(stickiness: string, groupId: string, normaliser = 100, seed = 0): number {
  return (murmurhash3(`${groupId}:${stickiness}`, seed) % normaliser) + 1;
}

import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

/** Buckets per rollout: percentages resolve to 0.01 %. */
export const ROLLOUT_BUCKETS = 10_000;

/**
 * The install's bucket for a plugin, 0..9999: the first 32 bits of sha256(`plugin:installId`)
 * modulo 10 000. Stable across versions, servers and clients; salted by plugin so that an install
 * is not first in line for every rollout.
 */
export function rolloutBucket(plugin: string, installId: string): number {
  const d = sha256(utf8ToBytes(`${plugin}:${installId}`));
  const n = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
  return n % ROLLOUT_BUCKETS;
}

/**
 * Whether a bucket is inside a rollout at `percentage` (0..100). Buckets below the threshold are in,
 * so raising the percentage only ever adds buckets: an install never flips back and forth.
 */
export function inRollout(bucket: number, percentage: number): boolean {
  return bucket < Math.round(percentage * (ROLLOUT_BUCKETS / 100));
}

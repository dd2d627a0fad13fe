import { normalizedValue } from '../flags/murmur.js';

/** Buckets per rollout: percentages resolve to 0.01 %. */
export const ROLLOUT_BUCKETS = 10_000;

/**
 * The install's bucket for a plugin, 0..9999: MurmurHash3 (seed 0) of `plugin:installId` modulo
 * 10 000, the way Unleash buckets its gradual rollouts, with the same hash the flag evaluator already
 * ships (a second hash function would cost the browser bundle ~5 KB). Stable across versions,
 * servers and clients; salted by plugin so that an install is not first in line for every rollout.
 * Not a security boundary: an install id is chosen by its client either way.
 */
export function rolloutBucket(plugin: string, installId: string): number {
  return normalizedValue(installId, plugin, ROLLOUT_BUCKETS) - 1;
}

/**
 * Whether a bucket is inside a rollout at `percentage` (0..100). Buckets below the threshold are in,
 * so raising the percentage only ever adds buckets: an install never flips back and forth.
 */
export function inRollout(bucket: number, percentage: number): boolean {
  return bucket < Math.round(percentage * (ROLLOUT_BUCKETS / 100));
}

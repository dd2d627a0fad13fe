import { inRollout, rolloutBucket } from './bucket.js';
import type { Rollout, VersionHealth } from './schemas.js';

/**
 * The version an install gets from a channel: while a rollout is active or halted, the rollout's
 * version for buckets inside its percentage and the previous version for the others; otherwise the
 * channel's dist-tag. null when the channel has nothing for it.
 */
export function resolveRolloutVersion(
  rollout: Pick<Rollout, 'plugin' | 'version' | 'previousVersion' | 'percentage' | 'state'> | null,
  channelTag: string | null,
  installId: string,
): { version: string | null; inRollout: boolean } {
  // Once finished either way the channel's dist-tag is the truth again: promoted on completion, untouched by a rollback.
  if (!rollout || rollout.state === 'completed' || rollout.state === 'rolled_back') return { version: channelTag, inRollout: false };
  const selected = inRollout(rolloutBucket(rollout.plugin, installId), rollout.percentage);
  return { version: selected ? rollout.version : rollout.previousVersion, inRollout: selected };
}

export const errorRate = (h: VersionHealth): number => (h.activations + h.errors === 0 ? 0 : h.errors / (h.activations + h.errors));

/**
 * Whether the new version is unhealthy enough to roll back: both versions have at least `minSample`
 * reports (a first release, with no previous version, only needs its own) and the new error rate
 * exceeds the previous one by more than `errorThreshold`.
 */
export function shouldRollBack(fresh: VersionHealth, previous: VersionHealth | null, rule: { errorThreshold: number; minSample: number }): boolean {
  if (fresh.activations + fresh.errors < rule.minSample) return false;
  if (previous && previous.activations + previous.errors < rule.minSample) return false;
  const baseline = previous ? errorRate(previous) : 0;
  return errorRate(fresh) - baseline > rule.errorThreshold;
}

import { inRollout, rolloutBucket } from '../release/bucket.js';
import type { MarketplaceSource } from './schemas.js';

/** Salts the canary bucket so an install's source canary is independent of its plugin rollouts. */
export const SOURCE_CANARY_SALT = 'marketplace_source';

/**
 * The sources an install tries, in order: the configured priority, with the canary source moved to
 * the front for `canaryPercent` of installs. The same install always lands on the same side, and
 * raising the percentage only adds installs (see `inRollout`). Without `fallbackOnError`, only the first.
 */
export function sourceOrder(config: MarketplaceSource, installId: string): string[] {
  let order = config.priority;
  if (config.canarySource !== undefined && config.canaryPercent > 0 && inRollout(rolloutBucket(SOURCE_CANARY_SALT, installId), config.canaryPercent)) {
    order = [config.canarySource, ...order.filter((name) => name !== config.canarySource)];
  }
  return config.fallbackOnError ? order : order.slice(0, 1);
}

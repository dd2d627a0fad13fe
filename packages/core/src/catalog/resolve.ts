import { isPrerelease, isValidRange, parseVersion, rcompareVersions, satisfies, versionLt, versionLte } from '../npm/versions.js';
import { resolveRolloutVersion } from '../release/rollout.js';
import type { Channel } from '../release/schemas.js';
import type { CatalogPlugin, CatalogVersion } from './schemas.js';

export interface ResolveOptions {
  /** alpha sees alpha, beta and stable releases; beta sees beta and stable; stable only stable. Default stable. */
  channel?: Channel;
  /** The install's stable random id: decides its bucket in staged rollouts. */
  installId: string;
  /** The host app's version, checked against each version's minHostVersion and engines range. */
  hostVersion?: string;
  /** A SemVer range or exact version the caller asks for (default: any). */
  range?: string;
}

const CHANNEL_TAGS: Record<Channel, Channel[]> = { alpha: ['alpha', 'beta', 'stable'], beta: ['beta', 'stable'], stable: ['stable'] };

/** Whether a version runs on the given host version (always, when the host does not say its version). */
export function isHostCompatible(v: Pick<CatalogVersion, 'minHostVersion' | 'engines'>, hostVersion: string | undefined): boolean {
  if (!hostVersion) return true;
  if (v.minHostVersion && parseVersion(v.minHostVersion) && parseVersion(hostVersion) && versionLt(hostVersion, v.minHostVersion)) return false;
  if (v.engines && isValidRange(v.engines) && !satisfies(hostVersion, v.engines, { includePrerelease: true })) return false;
  return true;
}

/** The version a channel's tag names for this install, through the channel's staged rollout if one is running. */
export function channelVersion(plugin: CatalogPlugin, channel: Channel, installId: string): string | null {
  const tag = plugin.distTags[channel] ?? (channel === 'stable' ? (plugin.distTags.latest ?? null) : null);
  const rollout = plugin.rollouts.find((r) => r.channel === channel) ?? null;
  return resolveRolloutVersion(rollout ? { ...rollout, plugin: plugin.name } : null, tag, installId).version;
}

/**
 * The version this install should run: the newest of its channels' versions (rollouts applied) that
 * is not revoked, runs on the host and satisfies the range; failing that, the newest such version
 * not ahead of the channel (a host too old for the latest still gets the newest it can run).
 * null when nothing fits, or when the listing is suspended.
 */
export function resolveVersion(plugin: CatalogPlugin, opts: ResolveOptions): CatalogVersion | null {
  if (plugin.listing?.state === 'suspended') return null;
  const channel = opts.channel ?? 'stable';
  const usable = (v: CatalogVersion) => !v.revoked && isHostCompatible(v, opts.hostVersion) && (!opts.range || satisfies(v.version, opts.range, { includePrerelease: channel !== 'stable' }));
  const byVersion = new Map(plugin.versions.map((v) => [v.version, v]));
  const targets = CHANNEL_TAGS[channel].map((c) => channelVersion(plugin, c, opts.installId)).filter((v): v is string => v !== null && byVersion.has(v));
  const ceiling = targets.sort(rcompareVersions)[0];
  if (ceiling === undefined) return null;
  const direct = targets.map((v) => byVersion.get(v)!).find(usable);
  if (direct) return direct;
  const allowPrerelease = channel !== 'stable';
  return (
    plugin.versions
      .filter((v) => usable(v) && versionLte(v.version, ceiling) && (allowPrerelease || !isPrerelease(v.version)))
      .sort((a, b) => rcompareVersions(a.version, b.version))[0] ?? null
  );
}

import semver from 'semver';
import type { CatalogPlugin, CatalogRollout, CatalogVersion } from '@wharf/core';
import { compatibilityOf, type Compatibility } from '../marketplace/compatibility.js';
import type { CatalogSources } from './catalog-repository.js';

const CHANNELS = new Set(['alpha', 'beta', 'stable']);
const LISTING_STATES = new Set(['pending', 'published', 'suspended']);

/**
 * Turns whole-table reads into catalog entries, sorted by name with versions in SemVer order.
 * Compatibility comes from each version's manifest, which never changes once published, so it is
 * parsed once per version per process.
 */
export class CatalogBuilder {
  private readonly compat = new Map<string, Compatibility>();

  plugins(src: CatalogSources): CatalogPlugin[] {
    const group = <T extends { package: string }>(rows: T[]) => {
      const out = new Map<string, T[]>();
      for (const r of rows) (out.get(r.package) ?? out.set(r.package, []).get(r.package)!).push(r);
      return out;
    };
    const versions = group(src.versions);
    const tags = group(src.distTags);
    const trust = new Map(src.trust.map((t) => [`${t.package}@${t.version}`, t]));
    const listings = new Map(src.listings.map((l) => [l.package!, l]));
    const rollouts = new Map<string, CatalogRollout[]>();
    // The newest open rollout of each channel decides, as in RolloutService.resolve.
    for (const r of [...src.rollouts].sort((a, b) => b.created_at.localeCompare(a.created_at))) {
      if (!CHANNELS.has(r.channel)) continue;
      const list = rollouts.get(r.plugin) ?? rollouts.set(r.plugin, []).get(r.plugin)!;
      if (list.some((x) => x.channel === r.channel)) continue;
      list.push({ channel: r.channel as CatalogRollout['channel'], version: r.version, previousVersion: r.previous_version, percentage: r.percentage_bp / 100, state: r.state as CatalogRollout['state'] });
    }
    const out: CatalogPlugin[] = [];
    for (const p of src.packages) {
      const rows = versions.get(p.name);
      if (!rows?.length) continue;
      const listing = listings.get(p.name);
      out.push({
        name: p.name,
        description: p.description,
        listing: listing
          ? {
              id: listing.id,
              displayName: listing.name,
              category: listing.category,
              tags: JSON.parse(listing.tags) as string[],
              icon: listing.icon,
              homepage: listing.homepage,
              state: (LISTING_STATES.has(listing.state) ? listing.state : 'pending') as 'pending' | 'published' | 'suspended',
            }
          : null,
        distTags: Object.fromEntries((tags.get(p.name) ?? []).sort((a, b) => a.tag.localeCompare(b.tag)).map((t) => [t.tag, t.version])),
        rollouts: (rollouts.get(p.name) ?? []).sort((a, b) => a.channel.localeCompare(b.channel)),
        versions: rows.sort((a, b) => semver.compare(a.version, b.version)).map((v) => this.version(v, trust.get(`${p.name}@${v.version}`))),
      });
    }
    return out;
  }

  /** Versions whose manifest this builder has not read yet: call `learn` with them before `plugins`. */
  unknownVersions(src: CatalogSources): { package: string; version: string }[] {
    return src.versions.filter((v) => !this.compat.has(`${v.package}@${v.version}`)).map((v) => ({ package: v.package, version: v.version }));
  }

  learn(manifests: { package: string; version: string; manifest: string }[]): void {
    for (const m of manifests) this.compat.set(`${m.package}@${m.version}`, compatibilityOf(JSON.parse(m.manifest) as Record<string, unknown>));
  }

  private version(v: CatalogSources['versions'][number], trust: CatalogSources['trust'][number] | undefined): CatalogVersion {
    const compat = this.compat.get(`${v.package}@${v.version}`) ?? { minHostVersion: null, engines: null };
    return {
      version: v.version,
      integrity: v.integrity,
      size: v.size,
      publishedAt: v.published_at,
      minHostVersion: compat.minHostVersion,
      engines: compat.engines,
      signed: trust?.signed === 1,
      deprecated: v.deprecated,
      revoked: trust?.revoked_reason != null ? { reason: trust.revoked_reason, at: trust.revoked_at! } : null,
    };
  }
}

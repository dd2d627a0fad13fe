import type { CatalogService } from './catalog/catalog-service.js';
import type { DeltaService } from './delta/delta-service.js';
import { CATALOG_KEY, packageKey, packagePaths, type CdnPurger } from './cdn/index.js';
import { ANNOUNCED, type DomainEvents } from './events/domain-events.js';
import { FEED_RESET, type EventBus } from './events/event-bus.js';
import type { FlagService } from './flags/flag-service.js';
import type { Marketplace } from './marketplace/install.js';
import type { SourceService } from './sources/source-service.js';
import type { ChangeFeed } from './storage/change-feed.js';
import type { SupplyChainService } from './supply-chain/supply-chain-service.js';
import type { TrustService } from './trust/trust-service.js';
import type { PublishRecords } from './trust/publish-records.js';

/**
 * Every step the server takes when a capability changes something, in the order each runs: read
 * here, not inferred from the order services were built in. A new capability (the forge) adds its
 * step here. Services only announce their changes (DomainEvents.emit); none subscribes to another.
 */
export function registerChangeSteps(
  events: DomainEvents,
  s: { bus: EventBus; supplyChain: SupplyChainService; trust: TrustService; records: PublishRecords; marketplace: Marketplace; purger: CdnPurger; catalog: CatalogService; deltas: DeltaService },
): void {
  // May refuse a publish, before anything is stored: the first refusal is the answer.
  events.validate('version.publishing', 'vulnerability policy', (c) => s.supplyChain.checkPublish(c));
  events.validate('version.publishing', 'publisher signature and signature policy', (c) => s.records.checkPublish(c));

  // After the version is committed, each awaited by the publish (a reader right after it sees the result).
  events.on('version.published', 'SBOM and vulnerability flags', (v) => s.supplyChain.recordPublish(v));
  events.on('version.published', 'countersignature, provenance and signed targets', (v) => s.records.recordPublish(v));
  events.on('version.published', 'search index', (v) => s.marketplace.packages.reindex(v.name));
  // Queued, not awaited: the publish answers before any delta is built.
  events.on('version.published', 'delta builds (queued)', (v) => s.deltas.schedule(v));

  // Once per change, on the replica that made it (other replicas follow the change feed and the bus).
  events.on('package.changed', 'CDN purge of the package', ({ name }) => s.purger.purge({ paths: packagePaths(name), tags: [packageKey(name)] }));
  events.on('deltas.offered', 'signed targets listing the deltas', () => s.trust.issue('targets'));
  events.on('targets.issued', 'signed catalog rebuild', () => s.catalog.markDirty());
  events.on('catalog.changed', 'CDN purge of /catalog.json', () => s.purger.purge({ paths: ['/catalog.json'], tags: [CATALOG_KEY] }));
  // The catalog carries the flag set; the other control-plane changes leave it as it is, but it is
  // rebuilt after them too (an unchanged rebuild costs one read, no new version), as it always was.
  for (const type of ANNOUNCED) {
    if (type !== 'catalog.changed') events.on(type, 'signed catalog rebuild', () => s.catalog.markDirty());
    events.on(type, 'announced on the event bus (every replica, GET /events)', (payload) => s.bus.publish(type, payload));
  }
}

/**
 * What every replica does when a change made on any replica (this one included) reaches it over the
 * change feed or the event bus: drop what it caches of it. A reset means notices may have been
 * missed, so everything is dropped.
 */
export function registerReplicaSteps(
  s: { changes: ChangeFeed; bus: EventBus; catalog: CatalogService; marketplace: Marketplace; flags: FlagService; sources: SourceService },
): void {
  s.changes.onPackageChanged((name) => {
    s.catalog.markDirty();
    s.marketplace.packages.reindexLater(name);
  });
  s.changes.onReset(() => s.catalog.markDirty());
  s.bus.subscribe(({ type }) => {
    if (type === FEED_RESET || type === 'flags.changed') s.flags.invalidate();
    if (type === FEED_RESET || type === 'config.changed') s.sources.forget();
    if (type !== 'catalog.changed') s.catalog.markDirty();
  });
}

import type { CatalogService } from './catalog/catalog-service.js';
import type { DeltaService } from './delta/delta-service.js';
import { packageKey, packagePaths, type CdnPurger } from './cdn/index.js';
import type { DomainEvents } from './events/domain-events.js';
import type { Marketplace } from './marketplace/install.js';
import type { SupplyChainService } from './supply-chain/supply-chain-service.js';
import type { TrustService } from './trust/trust-service.js';
import type { PublishRecords } from './trust/publish-records.js';

/**
 * Every step the server takes when a package or its signed metadata changes, in the order each
 * runs: read here, not inferred from the order services were built in. A new capability (delta
 * builds, the forge) adds its step here.
 */
export function registerChangeSteps(
  events: DomainEvents,
  s: { supplyChain: SupplyChainService; trust: TrustService; records: PublishRecords; marketplace: Marketplace; purger: CdnPurger; catalog: CatalogService; deltas: DeltaService },
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

  // Once per change, on the replica that made it (other replicas follow the change feed).
  events.on('package.changed', 'CDN purge of the package', ({ name }) => s.purger.purge({ paths: packagePaths(name), tags: [packageKey(name)] }));
  events.on('deltas.offered', 'signed targets listing the deltas', () => s.trust.issue('targets'));
  events.on('targets.issued', 'signed catalog rebuild', () => s.catalog.markDirty());
}

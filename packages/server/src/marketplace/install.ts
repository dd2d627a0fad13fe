import type { FastifyInstance } from 'fastify';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { ApiCatalog } from '../docs/api-catalog.js';
import type { AuditLog } from '../audit/audit-log.js';
import { AnalyticsRepository } from '../analytics/analytics-repository.js';
import { AnalyticsService } from '../analytics/analytics-service.js';
import { PrivacyRepository } from '../analytics/privacy-repository.js';
import { PrivacyService } from '../analytics/privacy-service.js';
import { RetentionJob } from '../analytics/retention-job.js';
import { analyticsRoutes } from '../analytics/routes.js';
import { MarketplaceService } from './marketplace-service.js';
import { marketplaceRoutes } from './routes.js';
import { PackageIndexer } from './package-indexer.js';

export interface MarketplaceDeps {
  store: MetadataStore;
  registry: RegistryService;
  /** Moderation decisions are recorded in it. */
  audit: AuditLog;
  catalog: ApiCatalog;
  now?: () => Date;
  /** How often expired analytics events are purged (default hourly). */
  retentionIntervalMs?: number;
}

export interface Marketplace {
  service: MarketplaceService;
  analytics: AnalyticsService;
  privacy: PrivacyService;
  retention: RetentionJob;
  packages: PackageIndexer;
  stop(): Promise<void>;
}

/**
 * Wires the marketplace: services, routes, the search index's view of registry packages (indexed on
 * publish, re-read on every package change so that unpublishes leave the index) and the analytics
 * retention job.
 */
export async function installMarketplace(app: FastifyInstance, deps: MarketplaceDeps): Promise<Marketplace> {
  const now = deps.now ?? (() => new Date());
  const service = new MarketplaceService(deps.store, deps.registry, deps.audit, now);
  const analytics = new AnalyticsService(deps.store.db, new AnalyticsRepository(deps.store.db), service.repo, now);
  const privacy = new PrivacyService(deps.store.db, new PrivacyRepository(deps.store.db), (name) => deps.registry.changed(name));
  const indexingFailed = (err: unknown, name: string) => app.log.error({ err, package: name }, 'search indexing failed');
  const packages = new PackageIndexer(deps.store, (name) => service.refreshListingOfPackage(name), indexingFailed);

  await packages.backfill();

  await app.register(marketplaceRoutes, { marketplace: service, catalog: deps.catalog });
  await app.register(analyticsRoutes, { analytics, privacy, catalog: deps.catalog });

  const retention = new RetentionJob(() => analytics.purgeExpired(), deps.retentionIntervalMs ?? 3_600_000, (err) => app.log.error({ err }, 'analytics purge failed'));
  retention.start();
  return {
    service,
    analytics,
    privacy,
    retention,
    packages,
    async stop() {
      await retention.stop();
      await packages.idle();
    },
  };
}

import { join, resolve } from 'node:path';
import type { WharfConfig } from '../config.js';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import { Keyring } from './keyring.js';
import { TrustRepository } from './trust-repository.js';
import { TrustService, type TrustLifetimes } from './trust-service.js';
import type { DomainEvents } from '../events/domain-events.js';
import { PublisherKeys } from './publisher-keys.js';
import { PublishRecords } from './publish-records.js';

export { TrustService, DEFAULT_LIFETIMES, type TrustLifetimes } from './trust-service.js';
export { trustRoutes } from './routes.js';
export { rootDocument, signRootDocument } from './catalog.js';

/** Where the registry's private keys live: WHARF_TRUST_KEYS_DIR, default `<dataDir>/trust-keys`. */
export const trustKeysDir = (config: WharfConfig, env: NodeJS.ProcessEnv): string => env.WHARF_TRUST_KEYS_DIR ?? join(resolve(config.dataDir), 'trust-keys');

export interface TrustSetup {
  service: TrustService;
  keys: PublisherKeys;
  records: PublishRecords;
  /** Stops the re-signing timer. */
  stop(): void;
}

/**
 * Opens the keyring (WHARF_TRUST_KEYS_DIR, default `<dataDir>/trust-keys`; WHARF_TRUST_KEYS for
 * keys from a secret store), bootstraps root and catalog on first start, signs unpublishes in their transaction, lists
 * versions a failed publish step left unsigned, and re-signs expiring timestamp/snapshot/targets
 * every WHARF_TRUST_RESIGN_INTERVAL_MS (default 60 s).
 */
export async function setupTrust(
  config: WharfConfig,
  store: MetadataStore,
  registry: RegistryService,
  audit: AuditLog,
  events: DomainEvents,
  onError: (err: unknown) => void,
  env: NodeJS.ProcessEnv = process.env,
  lifetimes?: TrustLifetimes,
): Promise<TrustSetup> {
  const keyring = await Keyring.open(trustKeysDir(config, env), env.WHARF_TRUST_KEYS);
  const repo = new TrustRepository(store.db);
  const service = new TrustService(repo, store, keyring, audit, { lifetimes, events });
  const records = new PublishRecords(store.db, repo, service, { builderId: `${config.publicUrl ?? 'wharf'}/trust` });
  await service.init();
  registry.removalsThrough((remove) => service.changeTargets(remove));
  // Versions a failed after-publish step left out of signed metadata are listed at start and then
  // on the timer, before re-signing.
  const settleMs = env.WHARF_TRUST_SETTLE_MS === undefined ? undefined : Number(env.WHARF_TRUST_SETTLE_MS);
  const reconcile = () => records.reconcile((key) => registry.storedTarball(key), { settleMs, onSkip: (err) => onError(err) });
  await reconcile().catch(onError);
  const interval = Number(env.WHARF_TRUST_RESIGN_INTERVAL_MS ?? 60_000);
  const timer = setInterval(() => {
    reconcile()
      .then(() => service.resignExpiring())
      .catch(onError);
  }, interval);
  timer.unref();
  return { service, keys: new PublisherKeys(store.db, repo, audit), records, stop: () => clearInterval(timer) };
}

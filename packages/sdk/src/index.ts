// Browser-safe entry: web APIs only (fetch, WebCrypto, streams, OPFS). Node adapters live in ./node.
export { FlagClient, type FlagClientEvents, type FlagClientOptions, type FlagsChanged } from './flags/flag-client.js';
export { VersionGate, type GateCheck, type Maintenance, type UpdateRequired, type VersionGateEvents, type VersionGateOptions } from './gate/version-gate.js';
export { HealthReporter, type HealthReporterOptions } from './reporting/health-reporter.js';
export { CatalogManager, type CatalogManagerOptions, type CatalogEvents, type CatalogStatus, type FailureCause } from './catalog/catalog-manager.js';
export { MemoryStore, getText, setText, checkKey, type ByteStore } from './storage/store.js';
export { OpfsStore } from './storage/opfs.js';
export { trustStoreOn } from './storage/trust-store.js';
export { PluginInstaller, type PluginInstallerOptions, type InstallResult, type InstallerEvents, type RevokedEvent, type VerifiedInstall, type DeltaUse } from './install/installer.js';
export { PluginError, isPluginError, type PluginErrorCode } from './install/errors.js';
export { type PluginState } from './install/state.js';
export { PluginLoader, type PluginLoaderOptions, type LoadedPlugin } from './loader/plugin-loader.js';
export { UpdateManager, type UpdateManagerOptions, type UpdateInfo, type UpdateReason, type UpdateEvents } from './update/update-manager.js';
export { RegistryClient, type RegistryClientOptions, type RegistryVersion, type RegistryResolveOptions } from './registry/registry-client.js';
export { SourceResolver, joinUrl, type PathFetcher, type SourceResolverEvents, type SourceResolverOptions, type SourceStats } from './sources/source-resolver.js';

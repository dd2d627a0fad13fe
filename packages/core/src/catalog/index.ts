export * from './schemas.js';
export { signCatalog, verifyCatalog, verifyCatalogHead, parseCatalogPlugin, type CatalogCheck } from './envelope.js';
export { resolveVersion, channelVersion, isHostCompatible, type ResolveOptions } from './resolve.js';
export { diffCatalogs, isEmptyDiff, type CatalogDiff } from './diff.js';

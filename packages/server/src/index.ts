export { createWharf, type Wharf } from './app.js';
export { loadConfig, ConfigSchema, databaseTarget, type WharfConfig, type ConfigInput } from './config.js';
export { openMetadataStore, type MetadataStore } from './storage/metadata-store.js';
export { FsBlobStore, BlobCorruptError, blobsDir, scrubBlobs, type BlobStore } from './storage/blob-store.js';
export { HttpError } from './errors.js';
export { publishSamples } from './samples.js';
export { packDirectory, publishDocument } from '@wharf/tarball/node';
export { inspectTarball, TarballError } from './registry/tarball-inspector.js';
export { rootDocument, signRootDocument, TrustService, DEFAULT_LIFETIMES } from './trust/index.js';

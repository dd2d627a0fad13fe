export { SourceService, type ServedClientConfig } from './source-service.js';
export { SourceProber, sourceRoot, type SourceProberOptions } from './source-prober.js';
export { sourceRoutes, type SourceRoutesOptions } from './routes.js';

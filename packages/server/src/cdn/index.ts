export { IMMUTABLE_CACHE, METADATA_CACHE, CATALOG_KEY, TRUST_KEY, packageKey, packagePaths, tagResponse } from './cache-policy.js';
export { CdnPurger, PurgeTargetSchema, type PurgeTarget, type PurgeRequest, type PurgerOptions } from './purger.js';

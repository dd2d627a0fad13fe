export { buildDelta, type VersionFiles } from './build.js';
export { applyDelta, type DeltaTarget } from './apply.js';
export { decodeDelta } from './container.js';
export { DeltaError } from './errors.js';

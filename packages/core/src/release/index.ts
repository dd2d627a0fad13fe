export * from './bucket.js';
export * from './schemas.js';
export * from './rollout.js';
export * from './gate.js';
export * from './snapshots.js';
export * from './access.js';
export * from './setup.js';

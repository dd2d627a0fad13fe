export * from './npm/index.js';
export * from './sri.js';
export * from './supply-chain/index.js';
export * from './audit/index.js';
export * from './marketplace/index.js';
export * from './trust/index.js';
export * from './flags/index.js';
export * from './release/index.js';

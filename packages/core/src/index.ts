export * from './npm/index.js';
export * from './sri.js';
export * from './supply-chain/index.js';
export * from './audit/index.js';

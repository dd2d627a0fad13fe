export * from './schemas.js';
export * from './chain.js';

export * from './npm/index.js';
export * from './sri.js';

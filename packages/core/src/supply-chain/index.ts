export * from './osv.js';
export * from './ranges.js';
export * from './severity.js';
export * from './findings.js';
export * from './policy.js';
export * from './npm-audit.js';

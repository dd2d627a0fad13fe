export * from './names.js';
export * from './semver.js';
export * from './schemas.js';

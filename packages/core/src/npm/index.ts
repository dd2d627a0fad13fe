export * from './names.js';
export * from './semver.js';
export * from './schemas.js';
export { parseVersion, validVersion, compareVersions, compareParsed, rcompareVersions, versionLt, versionLte, isPrerelease, isValidRange, satisfies, type Version } from './versions.js';

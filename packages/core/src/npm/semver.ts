import { isPrerelease, isValidRange, rcompareVersions, validVersion } from './versions.js';

export { isStrictSemver } from './versions.js';

/** Highest stable (non-prerelease) version, else the highest of all; null for none. */
export function pickLatest(versions: readonly string[]): string | null {
  const sorted = versions.filter((v) => validVersion(v) !== null).sort(rcompareVersions);
  return sorted.find((v) => !isPrerelease(v)) ?? sorted[0] ?? null;
}

/** A dist-tag must not look like a version or range, or `npm install pkg@<tag>` becomes ambiguous. */
export function isValidDistTag(tag: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9._-]{0,63}$/.test(tag) && !isValidRange(tag);
}

import semver from 'semver';

/**
 * Strict SemVer 2.0.0: what `semver.valid` accepts after loose parsing is not enough
 * (it tolerates a leading "v" or "="), so the cleaned form must equal the input.
 */
export function isStrictSemver(version: string): boolean {
  return typeof version === 'string' && semver.valid(version) === version;
}

/** Highest stable (non-prerelease) version, else the highest of all; null for none. */
export function pickLatest(versions: readonly string[]): string | null {
  const sorted = [...versions].filter((v) => semver.valid(v)).sort(semver.rcompare);
  return sorted.find((v) => semver.prerelease(v) === null) ?? sorted[0] ?? null;
}

/** A dist-tag must not look like a version or range, or `npm install pkg@<tag>` becomes ambiguous. */
export function isValidDistTag(tag: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9._-]{0,63}$/.test(tag) && semver.validRange(tag) === null;
}

import semver from 'semver';

// The regular expression published with SemVer 2.0.0 (semver.org): `semver.valid` tolerates a leading
// "v" or "=" and drops build metadata, so it cannot tell canonical versions from loose ones.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Strict SemVer 2.0.0: MAJOR.MINOR.PATCH[-prerelease][+build], no prefixes, no leading zeros. */
export function isStrictSemver(version: string): boolean {
  return typeof version === 'string' && version.length <= 256 && SEMVER.test(version);
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

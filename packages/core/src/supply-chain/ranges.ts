import semver from 'semver';
import type { OsvAdvisory, OsvAffected, OsvEvent } from './osv.js';

/**
 * OSV affected ranges as npm ranges (the `vulnerable_versions` npm audit understands), and the
 * rule deciding whether a declared dependency is affected.
 */

type Bound = { kind: 'introduced' | 'fixed' | 'last_affected' | 'limit'; version: string };

function bound(event: OsvEvent): Bound {
  const [kind, version] = Object.entries(event)[0] as [Bound['kind'], string];
  return { kind, version };
}

/** "0" is OSV's "before the first version". */
const order = (a: Bound, b: Bound) => (a.version === '0' ? (b.version === '0' ? 0 : -1) : b.version === '0' ? 1 : semver.compare(a.version, b.version));

/**
 * One npm range per OSV range: events sorted by version, each `introduced` opens an interval that
 * the next `fixed` (exclusive) or `last_affected` (inclusive) closes; an interval left open runs to
 * the latest version; `limit` events cap every interval.
 */
function rangeOf(events: OsvEvent[]): string[] {
  const bounds = events.map(bound);
  const limits = bounds.filter((b) => b.kind === 'limit').sort(order);
  const cap = limits.length > 0 ? ` <${limits[0]!.version}` : '';
  const parts: string[] = [];
  let open: string | null = null;
  for (const b of bounds.filter((x) => x.kind !== 'limit').sort(order)) {
    if (b.kind === 'introduced') {
      open ??= b.version === '0' ? '0.0.0' : b.version;
    } else if (open !== null) {
      parts.push(`>=${open} ${b.kind === 'fixed' ? '<' : '<='}${b.version}${cap}`);
      open = null;
    }
  }
  if (open !== null) parts.push(`>=${open}${cap}`);
  return parts;
}

/** The npm range of versions an affected entry covers, or null when it gives none Wharf can evaluate (GIT-only ranges). */
export function npmAffectedRange(affected: OsvAffected): string | null {
  const parts = [
    ...(affected.ranges ?? []).filter((r) => r.type !== 'GIT').flatMap((r) => rangeOf(r.events)),
    ...(affected.versions ?? []).map((v) => `=${v}`),
  ];
  return parts.length > 0 ? parts.join(' || ') : null;
}

/** The npm range of versions of `name` an advisory covers (entries for the same package are united). */
export function vulnerableVersions(advisory: OsvAdvisory, name: string): string | null {
  const ranges = (advisory.affected ?? [])
    .filter((a) => a.package.ecosystem === 'npm' && a.package.name === name)
    .map(npmAffectedRange)
    .filter((r): r is string => r !== null);
  return ranges.length > 0 ? ranges.join(' || ') : null;
}

/**
 * A declared dependency is affected when its range and the vulnerable range share a version
 * (`semver.intersects`): some resolution of the dependency would install an affected version.
 * Specs that are not SemVer ranges (dist-tags, git, file and tarball URLs) resolve outside version
 * ordering and are not matched. `npm:<name>@<range>` aliases are matched under the real name.
 */
export function declaredDependency(name: string, spec: string): { name: string; range: string } | null {
  let target = name;
  let range = spec.trim();
  if (range.startsWith('npm:')) {
    const aliased = range.slice(4);
    if (aliased === '') return null;
    const at = aliased.lastIndexOf('@');
    if (at <= 0) return { name: aliased, range: '*' };
    target = aliased.slice(0, at);
    range = aliased.slice(at + 1);
  }
  return semver.validRange(range) === null ? null : { name: target, range };
}

export function rangeCanResolveInto(declared: string, vulnerable: string): boolean {
  try {
    return semver.intersects(declared, vulnerable);
  } catch {
    return false;
  }
}

/** Whether an installed version is affected (what npm audit asks). Prereleases count, as npm counts them. */
export function versionIsAffected(version: string, vulnerable: string): boolean {
  return semver.satisfies(version, vulnerable, { includePrerelease: true });
}

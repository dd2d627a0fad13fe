import semver from 'semver';

export interface Compatibility {
  minHostVersion: string | null;
  engines: string | null;
}

/**
 * Which host versions a plugin version runs on, from its manifest: `cartae.minVersion` when it is a
 * version, else the lowest version the `engines.cartae` range admits; null when it states neither.
 */
export function compatibilityOf(manifest: Record<string, unknown>): Compatibility {
  const cartae = manifest.cartae as { minVersion?: unknown } | undefined;
  const engines = (manifest.engines as Record<string, unknown> | undefined)?.cartae;
  const range = typeof engines === 'string' && semver.validRange(engines) ? engines : null;
  const declared = typeof cartae?.minVersion === 'string' ? semver.valid(cartae.minVersion) : null;
  const fromRange = range ? (semver.minVersion(range)?.version ?? null) : null;
  return { minHostVersion: declared ?? fromRange, engines: range };
}

/**
 * The first host version (release, prereleases ignored as search ignores them) above everything an
 * `engines` range admits: `^0.2.0` → 0.3.0, `<=1.4.2` → 1.4.3, `^1 || ^2` → 3.0.0. Null when the range
 * is unbounded above or absent. A range with gaps (`^1 || ^3`) is taken as its hull.
 */
export function hostVersionLimit(range: string | null): string | null {
  if (range === null) return null;
  let limit: semver.SemVer | null = null;
  for (const comparators of new semver.Range(range).set) {
    // Within one set the comparators all hold: the lowest upper bound wins; none means unbounded.
    let setLimit: semver.SemVer | null = null;
    for (const c of comparators) {
      if (c.value === '') continue; // `*`: no bound
      const v = c.semver;
      const bound =
        c.operator === '<' ? new semver.SemVer(`${v.major}.${v.minor}.${v.patch}`)
        : c.operator === '<=' || c.operator === '' || c.operator === '=' ? new semver.SemVer(`${v.major}.${v.minor}.${v.patch + 1}`)
        : null;
      if (bound && (!setLimit || bound.compare(setLimit) < 0)) setLimit = bound;
    }
    if (!setLimit) return null;
    if (!limit || setLimit.compare(limit) > 0) limit = setLimit;
  }
  return limit?.version ?? null;
}

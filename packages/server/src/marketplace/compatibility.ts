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

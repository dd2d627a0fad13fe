import { createHash } from 'node:crypto';
import { parseSri } from '@wharf/core';
import { unprocessable } from '../errors.js';

/** Dependency maps whose tarball copy must match the published manifest (see `checkManifestMatches`). */
const DEPENDENCY_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** The client's `dist.integrity` and `dist.shasum`, when sent, must describe the bytes received. */
export function checkDeclaredHashes(dist: { integrity?: string | undefined; shasum?: string | undefined } | undefined, tarball: Buffer, shasum: string): void {
  if (dist?.shasum && dist.shasum !== shasum) throw unprocessable(`dist.shasum ${dist.shasum} does not match the tarball (sha1 ${shasum})`);
  if (dist?.integrity) {
    const sri = parseSri(dist.integrity);
    if (!sri) throw unprocessable(`dist.integrity is not a valid SRI hash`);
    const actual = createHash(sri.algorithm).update(tarball).digest('base64');
    if (actual !== sri.digest) throw unprocessable(`dist.integrity does not match the tarball: declared ${dist.integrity}, got ${sri.algorithm}-${actual}`);
  }
}

/**
 * Guards against "manifest confusion": what installers read from the registry must say what the
 * tarball's package.json says about dependencies. npm folds optionalDependencies into dependencies
 * when it normalises a manifest, so the two are compared as one map.
 */
export function checkManifestMatches(manifest: Record<string, unknown>, packageJson: Record<string, unknown>): void {
  const deps = (doc: Record<string, unknown>, field: (typeof DEPENDENCY_FIELDS)[number]) => {
    const value = doc[field];
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  };
  const installDeps = (doc: Record<string, unknown>) => ({ ...deps(doc, 'dependencies'), ...deps(doc, 'optionalDependencies') });
  const same = (a: Record<string, unknown>, b: Record<string, unknown>) => {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => a[k] === b[k]);
  };
  if (!same(installDeps(manifest), installDeps(packageJson))) throw unprocessable('the published manifest\'s dependencies differ from package.json in the tarball');
  if (!same(deps(manifest, 'peerDependencies'), deps(packageJson, 'peerDependencies'))) throw unprocessable('the published manifest\'s peerDependencies differ from package.json in the tarball');
}

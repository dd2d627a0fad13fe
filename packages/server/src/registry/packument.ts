import { tarballPath } from '@wharf/core';
import type { NpmDistSignature } from '@wharf/core';
import type { PackageDocument, VersionRow } from '../storage/package-repository.js';

export type SignableVersion = Pick<VersionRow, 'package' | 'version' | 'integrity' | 'npm_signature'>;

/** The registry's npm signatures (`dist.signatures`): made at publish, served with every version. */
export interface DistSigner {
  readonly keyid: string;
  sign(name: string, version: string, integrity: string): NpmDistSignature;
  signaturesOf(row: SignableVersion): NpmDistSignature[];
}

/** Fields of a version kept in the abbreviated ("corgi") packument: what an installer needs, no more. */
const ABBREVIATED_FIELDS = [
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'bundleDependencies',
  'bundledDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'acceptDependencies',
  'bin',
  'directories',
  'engines',
  'cpu',
  'os',
  'libc',
  'funding',
  'license',
  '_hasShrinkwrap',
  'hasInstallScript',
] as const;

export type VersionDocument = Record<string, unknown> & { dist: Record<string, unknown> };

/**
 * One version as served: the stored manifest with the registry's own fields laid over it. Whatever
 * `dist` the publisher sent keeps no say over what the registry vouches for: integrity, tarball and
 * signatures are the registry's, and `attestations` (a URL npm would fetch and check) is dropped.
 */
export function versionDocument(row: VersionRow, baseUrl: string, signer: DistSigner): VersionDocument {
  const manifest = JSON.parse(row.manifest) as Record<string, unknown>;
  const { attestations: _publisherClaim, ...sent } = (manifest.dist as Record<string, unknown> | undefined) ?? {};
  const dist = {
    ...sent,
    integrity: row.integrity,
    shasum: row.shasum,
    tarball: baseUrl + tarballPath(row.package, row.version),
    signatures: signer.signaturesOf(row),
  };
  const doc: VersionDocument = { ...manifest, dist };
  if (row.deprecated) doc.deprecated = row.deprecated;
  else delete doc.deprecated;
  return doc;
}

/** The full packument (`GET /<name>` with `Accept: application/json`). */
export function fullPackument(doc: PackageDocument, baseUrl: string, signer: DistSigner): Record<string, unknown> {
  const versions: Record<string, VersionDocument> = {};
  const time: Record<string, string> = { created: doc.pkg.created_at, modified: doc.pkg.modified_at };
  for (const row of doc.versions) {
    versions[row.version] = versionDocument(row, baseUrl, signer);
    time[row.version] = row.published_at;
  }
  return {
    _id: doc.pkg.name,
    _rev: revision(doc),
    name: doc.pkg.name,
    ...(doc.pkg.description ? { description: doc.pkg.description } : {}),
    'dist-tags': doc.tags,
    versions,
    time,
    maintainers: doc.owners.map((o) => ({ name: o.name, email: o.email ?? '' })),
    readme: doc.pkg.readme ?? '',
  };
}

/** The abbreviated packument (`Accept: application/vnd.npm.install-v1+json`). */
export function abbreviatedPackument(doc: PackageDocument, baseUrl: string, signer: DistSigner): Record<string, unknown> {
  const versions: Record<string, Record<string, unknown>> = {};
  for (const row of doc.versions) {
    const full = versionDocument(row, baseUrl, signer);
    const slim: Record<string, unknown> = {};
    for (const field of ABBREVIATED_FIELDS) if (full[field] !== undefined) slim[field] = full[field];
    slim.dist = full.dist;
    versions[row.version] = slim;
  }
  return { name: doc.pkg.name, modified: doc.pkg.modified_at, 'dist-tags': doc.tags, versions };
}

/** CouchDB-style `_rev` that npm echoes back on unpublish and deprecate. */
export function revision(doc: PackageDocument): string {
  return `${doc.pkg.rev + 1}-${Date.parse(doc.pkg.modified_at).toString(16)}`;
}

import * as z from 'zod/mini';
import { canonicalBytes } from './bytes.js';
import { signBytes, verifyBytesAsync, type KeyPairFile } from './keys.js';

/**
 * What `wharf publish --key` adds to the version document (field `wharf`): a sha512 SRI per file
 * and the publisher's signature over the package digest (see `packageDigestPayload`).
 */
export const PackageSignatureFieldSchema = z.object({
  files: z.record(z.string(), z.string().check(z.regex(/^sha512-[A-Za-z0-9+/]+=*$/))),
  signature: z.object({ keyid: z.string().check(z.regex(/^[0-9a-f]{64}$/)), sig: z.string().check(z.regex(/^[0-9a-f]{128}$/)) }),
});
export type PackageSignatureField = z.infer<typeof PackageSignatureFieldSchema>;

export interface PackageDigest {
  name: string;
  version: string;
  /** sha512 SRI of the whole tarball (npm's `dist.integrity`). */
  integrity: string;
  files: Record<string, string>;
}

/** The exact bytes a publisher signs: binds name, version, tarball digest and every file digest. */
export function packageDigestPayload(d: PackageDigest): Uint8Array {
  return canonicalBytes({ type: 'https://wharf.dev/package-signature/v1', name: d.name, version: d.version, integrity: d.integrity, files: d.files });
}

export const signPackage = (pair: KeyPairFile, d: PackageDigest): string => signBytes(pair, packageDigestPayload(d));

export const verifyPackageSignature = (publicHex: string, sig: string, d: PackageDigest): Promise<boolean> => verifyBytesAsync(publicHex, sig, packageDigestPayload(d));

/** Where a version's tarball sits, both as TUF target path and as npm tarball URL path. */
/** Where the delta from `from` to `to` is served, relative to the registry root (a mirror keeps the same path). */
export function deltaPath(name: string, from: string, to: string): string {
  return `-/deltas/${name}/${from}..${to}`;
}

export function targetPath(name: string, version: string): string {
  const bare = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  return `${name}/-/${bare}-${version}.tgz`;
}

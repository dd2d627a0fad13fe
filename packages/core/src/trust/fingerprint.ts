import { canonicalBytes, digest, toHex } from './bytes.js';
import type { RootSigned } from './metadata.js';

/**
 * What a person compares when pinning a registry's root (as with an SSH host key): SHA-256 over the
 * canonical JSON of the root's signed part, so a re-indented copy of the same root has the same
 * fingerprint and any change to a key, threshold or expiry gives another. The server prints it at
 * start; `wharf trust init` prints it before anything is trusted.
 */
export async function rootFingerprint(root: RootSigned): Promise<string> {
  const hex = toHex(await digest('sha256', canonicalBytes(root)));
  return `SHA256:${hex}`;
}

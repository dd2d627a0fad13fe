import * as z from 'zod/mini';
import { verifyBytesAsync } from './keys.js';

/**
 * A key as TUF metadata lists it, of any type: a root may list keys this client cannot use (the
 * spec says to ignore them), which then never count toward a threshold. Wharf signs with Ed25519;
 * other TUF repositories (and the public conformance suite) with ECDSA P-256 or RSA.
 */
export const TufKeySchema = z.looseObject({ keytype: z.string(), scheme: z.string(), keyval: z.looseObject({ public: z.string() }) });
export type TufKey = z.infer<typeof TufKeySchema>;

/** Whether `sigHex` is `key`'s signature over `message`. False, never an exception, for anything malformed or unsupported. */
export async function verifyWithKey(key: TufKey, sigHex: string, message: Uint8Array): Promise<boolean> {
  if (key.keytype === 'ed25519' && key.scheme === 'ed25519') return /^[0-9a-f]{64}$/.test(key.keyval.public) && verifyBytesAsync(key.keyval.public, sigHex, message);
  // Loaded only for the keys of other TUF repositories: Wharf's own metadata never needs it, and the
  // browser SDK's first load stays without it.
  const { verifyWebSignature } = await import('./web-signatures.js');
  return verifyWebSignature(key, sigHex, message);
}

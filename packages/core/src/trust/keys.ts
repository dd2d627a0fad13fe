import { ed25519 } from '@noble/curves/ed25519.js';
import * as z from 'zod/mini';
import { canonicalBytes, digest, fromHex, toHex } from './bytes.js';

/** A public key as TUF writes it in root metadata (and Wharf everywhere else). */
export const PublicKeySchema = z.looseObject({
  keytype: z.literal('ed25519'),
  scheme: z.literal('ed25519'),
  keyval: z.looseObject({ public: z.string().check(z.regex(/^[0-9a-f]{64}$/)) }),
});
export type PublicKey = z.infer<typeof PublicKeySchema>;

/** A key pair file (`wharf keys generate`, registry keys on disk). The private half never leaves it. */
export const KeyPairFileSchema = z.object({
  keyid: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  keytype: z.literal('ed25519'),
  scheme: z.literal('ed25519'),
  keyval: z.object({ public: z.string().check(z.regex(/^[0-9a-f]{64}$/)), private: z.string().check(z.regex(/^[0-9a-f]{64}$/)) }),
});
export type KeyPairFile = z.infer<typeof KeyPairFileSchema>;

export const publicKeyOf = (hex: string): PublicKey => ({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: hex } });

/** TUF key id: sha256 of the key's canonical JSON. */
export async function keyIdOf(key: PublicKey): Promise<string> {
  return toHex(await digest('sha256', canonicalBytes({ keytype: key.keytype, scheme: key.scheme, keyval: { public: key.keyval.public } })));
}

export async function generateKeyPair(): Promise<KeyPairFile> {
  const { secretKey, publicKey } = ed25519.keygen();
  const pub = toHex(publicKey);
  return { keyid: await keyIdOf(publicKeyOf(pub)), keytype: 'ed25519', scheme: 'ed25519', keyval: { public: pub, private: toHex(secretKey) } };
}

export const publicPart = (pair: KeyPairFile): PublicKey => publicKeyOf(pair.keyval.public);

export function signBytes(pair: KeyPairFile, message: Uint8Array): string {
  return toHex(ed25519.sign(message, fromHex(pair.keyval.private)));
}

let webEd25519: boolean | undefined;

/**
 * Verifies with native WebCrypto Ed25519 where the runtime has it (Node 20, current browsers) and
 * with @noble/curves elsewhere: on a multi-megabyte targets file the native SHA-512 inside Ed25519
 * is what keeps verification fast.
 */
export async function verifyBytesAsync(publicHex: string, signatureHex: string, message: Uint8Array): Promise<boolean> {
  if (webEd25519 !== false) {
    try {
      const key = await crypto.subtle.importKey('raw', fromHex(publicHex) as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
      webEd25519 = true;
      return await crypto.subtle.verify({ name: 'Ed25519' }, key, fromHex(signatureHex) as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
    } catch (err) {
      if ((err as Error).name === 'NotSupportedError') webEd25519 = false;
      else if (webEd25519 === true) return false;
    }
  }
  // Loaded only where WebCrypto lacks Ed25519: browsers that have it never download @noble/curves.
  const { ed25519: noble } = await import('@noble/curves/ed25519.js');
  try {
    return noble.verify(fromHex(signatureHex), message, fromHex(publicHex));
  } catch {
    return false;
  }
}

/** False for any malformed input: a bad signature is never an exception. */
export function verifyBytes(publicHex: string, signatureHex: string, message: Uint8Array): boolean {
  try {
    return ed25519.verify(fromHex(signatureHex), message, fromHex(publicHex));
  } catch {
    return false;
  }
}

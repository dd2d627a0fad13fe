import { ed25519 } from '@noble/curves/ed25519.js';
import { z } from 'zod';
import { canonicalBytes, digest, fromHex, toHex } from './bytes.js';

/** A public key as TUF writes it in root metadata (and Wharf everywhere else). */
export const PublicKeySchema = z.looseObject({
  keytype: z.literal('ed25519'),
  scheme: z.literal('ed25519'),
  keyval: z.looseObject({ public: z.string().regex(/^[0-9a-f]{64}$/) }),
});
export type PublicKey = z.infer<typeof PublicKeySchema>;

/** A key pair file (`wharf keys generate`, registry keys on disk). The private half never leaves it. */
export const KeyPairFileSchema = z.object({
  keyid: z.string().regex(/^[0-9a-f]{64}$/),
  keytype: z.literal('ed25519'),
  scheme: z.literal('ed25519'),
  keyval: z.object({ public: z.string().regex(/^[0-9a-f]{64}$/), private: z.string().regex(/^[0-9a-f]{64}$/) }),
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

/** False for any malformed input: a bad signature is never an exception. */
export function verifyBytes(publicHex: string, signatureHex: string, message: Uint8Array): boolean {
  try {
    return ed25519.verify(fromHex(signatureHex), message, fromHex(publicHex));
  } catch {
    return false;
  }
}

import { fromHex } from './bytes.js';
import type { TufKey } from './key-schemes.js';

interface WebScheme {
  keytypes: string[];
  importParams: RsaHashedImportParams | EcKeyImportParams;
  verifyParams: AlgorithmIdentifier | RsaPssParams | EcdsaParams;
  /** The signature as WebCrypto takes it, from the hex TUF carries; null when malformed. */
  signature(bytes: Uint8Array): Uint8Array | null;
}

const asIs = (bytes: Uint8Array) => bytes;

/** The schemes of securesystemslib that WebCrypto verifies natively, by TUF scheme name. Public keys are PEM SubjectPublicKeyInfo. */
const WEB_SCHEMES: Record<string, WebScheme> = {
  'ecdsa-sha2-nistp256': {
    keytypes: ['ecdsa', 'ecdsa-sha2-nistp256'],
    importParams: { name: 'ECDSA', namedCurve: 'P-256' },
    verifyParams: { name: 'ECDSA', hash: 'SHA-256' },
    signature: (der) => derToP1363(der, 32),
  },
  // securesystemslib signs PSS with a salt as long as the digest.
  'rsassa-pss-sha256': { keytypes: ['rsa'], importParams: { name: 'RSA-PSS', hash: 'SHA-256' }, verifyParams: { name: 'RSA-PSS', saltLength: 32 }, signature: asIs },
  'rsa-pkcs1v15-sha256': { keytypes: ['rsa'], importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verifyParams: { name: 'RSASSA-PKCS1-v1_5' }, signature: asIs },
};

/** Imported keys by scheme and PEM: a refresh verifies four documents with the same few keys. */
const imported = new Map<string, Promise<CryptoKey>>();
const MAX_IMPORTED = 256;

/** ECDSA and RSA signatures (see `verifyWithKey`): false for anything malformed or of a scheme not listed here. */
export async function verifyWebSignature(key: TufKey, sigHex: string, message: Uint8Array): Promise<boolean> {
  const scheme = Object.hasOwn(WEB_SCHEMES, key.scheme) ? WEB_SCHEMES[key.scheme]! : null;
  if (!scheme || !scheme.keytypes.includes(key.keytype)) return false;
  try {
    const signature = scheme.signature(fromHex(sigHex));
    if (!signature) return false;
    return await crypto.subtle.verify(scheme.verifyParams, await importKey(key.scheme, scheme, key.keyval.public), signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
  } catch {
    return false;
  }
}

function importKey(name: string, scheme: WebScheme, pem: string): Promise<CryptoKey> {
  const id = `${name}\n${pem}`;
  let key = imported.get(id);
  if (!key) {
    if (imported.size >= MAX_IMPORTED) imported.clear();
    key = crypto.subtle.importKey('spki', spkiOf(pem) as Uint8Array<ArrayBuffer>, scheme.importParams, false, ['verify']);
    // A key that does not import is not cached: the next call fails the same way, and nothing stays held.
    key.catch(() => imported.delete(id));
    imported.set(id, key);
  }
  return key;
}

function spkiOf(pem: string): Uint8Array {
  const body = /^-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----\s*$/.exec(pem.trim());
  if (!body) throw new TypeError('not a PEM public key');
  return Uint8Array.from(atob(body[1]!.replace(/\s+/g, '')), (c) => c.charCodeAt(0));
}

/**
 * ECDSA signatures come DER-encoded (SEQUENCE of two INTEGERs); WebCrypto takes r and s as two
 * fixed-size big-endian halves. Written here rather than taken from a curve library: it is this one
 * fixed structure, and any deviation is refused.
 */
export function derToP1363(der: Uint8Array, size: number): Uint8Array | null {
  // Short-form lengths only: a P-256 signature is at most 72 bytes.
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return null;
  const out = new Uint8Array(size * 2);
  let at = 2;
  for (const half of [0, 1]) {
    if (der[at] !== 0x02) return null;
    const length = der[at + 1]!;
    if (length === 0 || length > 0x7f || at + 2 + length > der.length) return null;
    let int = der.subarray(at + 2, at + 2 + length);
    at += 2 + length;
    // A leading zero only keeps a high bit from reading as a sign; negative integers are not signatures.
    if (int[0]! & 0x80) return null;
    while (int.length > 1 && int[0] === 0) int = int.subarray(1);
    if (int.length > size) return null;
    out.set(int, half * size + size - int.length);
  }
  return at === der.length ? out : null;
}

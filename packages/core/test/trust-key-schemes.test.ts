import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWithKey, type TufKey } from '../src/trust/key-schemes.js';
import { derToP1363 } from '../src/trust/web-signatures.js';
import { generateKeyPair, publicPart, signBytes } from '../src/trust/keys.js';

const message = new TextEncoder().encode('{"_type":"root"}');
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }) as string;

// Keys and signatures as securesystemslib writes them: PEM SubjectPublicKeyInfo, hex of the DER or raw signature.
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const cases: { name: string; key: TufKey; sig: string }[] = [
  { name: 'ecdsa-sha2-nistp256', key: { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pem(ec.publicKey) } }, sig: sign('sha256', message, ec.privateKey).toString('hex') },
  {
    name: 'rsassa-pss-sha256',
    key: { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: pem(rsa.publicKey) } },
    sig: sign('sha256', message, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('hex'),
  },
  { name: 'rsa-pkcs1v15-sha256', key: { keytype: 'rsa', scheme: 'rsa-pkcs1v15-sha256', keyval: { public: pem(rsa.publicKey) } }, sig: sign('sha256', message, rsa.privateKey).toString('hex') },
];

describe('verifyWithKey: the key schemes TUF repositories sign with', () => {
  for (const { name, key, sig } of cases) {
    it(`${name}: accepts the signature, refuses it over other bytes or from a key of another type`, async () => {
      expect(await verifyWithKey(key, sig, message)).toBe(true);
      expect(await verifyWithKey(key, sig, new TextEncoder().encode('{"_type":"evil"}'))).toBe(false);
      expect(await verifyWithKey({ ...key, keytype: 'ed25519' }, sig, message)).toBe(false);
      expect(await verifyWithKey(key, sig.slice(0, -2), message)).toBe(false);
      expect(await verifyWithKey({ ...key, keyval: { public: 'not a pem' } }, sig, message)).toBe(false);
    });
  }

  it('ed25519, as Wharf signs', async () => {
    const pair = await generateKeyPair();
    expect(await verifyWithKey(publicPart(pair), signBytes(pair, message), message)).toBe(true);
    expect(await verifyWithKey({ ...publicPart(pair), keyval: { public: 'zz' } }, signBytes(pair, message), message)).toBe(false);
  });

  it('never counts a key of a scheme it does not know', async () => {
    expect(await verifyWithKey({ keytype: 'sphincs', scheme: 'sphincs-shake-128s', keyval: { public: pem(ec.publicKey) } }, cases[0]!.sig, message)).toBe(false);
    expect(await verifyWithKey({ keytype: 'ecdsa', scheme: '__proto__', keyval: { public: pem(ec.publicKey) } }, cases[0]!.sig, message)).toBe(false);
  });
});

describe('derToP1363', () => {
  it('turns DER into two 32-byte halves and refuses anything else', () => {
    const der = sign('sha256', message, ec.privateKey);
    const raw = derToP1363(der, 32)!;
    expect(raw).toHaveLength(64);
    expect(derToP1363(Buffer.concat([der, Buffer.from([0])]), 32)).toBeNull();
    expect(derToP1363(der.subarray(0, der.length - 1), 32)).toBeNull();
    // r = 0x80…: a negative integer, not a signature.
    expect(derToP1363(Buffer.from([0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01]), 32)).toBeNull();
    // r of 33 significant bytes does not fit P-256.
    expect(derToP1363(Buffer.from([0x30, 0x26, 0x02, 0x21, 0x01, ...new Array(32).fill(1), 0x02, 0x01, 0x01]), 32)).toBeNull();
    expect(derToP1363(Buffer.from([0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07]), 32)).toEqual(Uint8Array.from([...new Array(31).fill(0), 5, ...new Array(31).fill(0), 7]));
  });
});

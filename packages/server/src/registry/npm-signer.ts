import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NpmDistSignatureSchema, npmSignedMessage, type NpmDistSignature, type NpmRegistryKeys } from '@wharf/core';
import type { DistSigner, SignableVersion } from './packument.js';

const KEY_FILE = 'npm-registry-p256.pem';
/** Bounds the memo of signatures for versions not yet signed in storage (about 150 bytes each). */
const MEMO_LIMIT = 200_000;

/**
 * The registry's npm signing key (ECDSA P-256, what `npm audit signatures` verifies; the TUF keys are
 * Ed25519 and npm cannot read them). Kept as a PKCS#8 PEM file, mode 0600, beside the trust keys, or
 * given whole by WHARF_NPM_SIGNING_KEY (a secret store). Generated on first start; replicas sharing a
 * key directory race on an exclusive create and all read the winner's key.
 */
export class NpmRegistrySigner implements DistSigner {
  readonly keyid: string;
  private readonly publicDer: Buffer;
  private readonly memo = new Map<string, NpmDistSignature>();

  private constructor(private readonly key: KeyObject) {
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('the npm signing key must be an ECDSA P-256 private key');
    this.publicDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
    this.keyid = `SHA256:${createHash('sha256').update(this.publicDer).digest('base64').replace(/=+$/, '')}`;
  }

  static async open(dir: string, envPem: string | undefined): Promise<NpmRegistrySigner> {
    if (envPem) return new NpmRegistrySigner(parsePem(envPem, 'WHARF_NPM_SIGNING_KEY'));
    const path = join(dir, KEY_FILE);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fresh = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    try {
      await writeFile(path, fresh, { mode: 0o600, flag: 'wx' });
      await chmod(path, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return new NpmRegistrySigner(parsePem(await readFile(path, 'utf8'), path));
  }

  /** `GET /-/npm/v1/keys`. */
  keys(): NpmRegistryKeys {
    return { keys: [{ keyid: this.keyid, expires: null, keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: this.publicDer.toString('base64') }] };
  }

  /** A new signature of one version, to store with it. */
  sign(name: string, version: string, integrity: string): NpmDistSignature {
    return { keyid: this.keyid, sig: sign('sha256', Buffer.from(npmSignedMessage(name, version, integrity)), this.key).toString('base64') };
  }

  /**
   * `dist.signatures` of a version: the stored signature when the current key made it; otherwise
   * (published before signing began, or the key was replaced) one made now and remembered, until
   * `RegistryService.signUnsignedVersions` stores one.
   */
  signaturesOf(row: SignableVersion): NpmDistSignature[] {
    const stored = row.npm_signature === null ? null : NpmDistSignatureSchema.parse(JSON.parse(row.npm_signature));
    if (stored?.keyid === this.keyid) return [stored];
    const message = npmSignedMessage(row.package, row.version, row.integrity);
    let made = this.memo.get(message);
    if (made === undefined) {
      made = this.sign(row.package, row.version, row.integrity);
      if (this.memo.size >= MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value!);
      this.memo.set(message, made);
    }
    return [made];
  }
}

function parsePem(pem: string, where: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${where}: not a PEM private key (${(err as Error).message})`);
  }
}

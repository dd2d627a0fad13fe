import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyPairFileSchema, generateKeyPair, type KeyPairFile, type RootSigned, type TopLevelRole } from '@wharf/core';

/**
 * The registry's private keys. By default one JSON file per key in `<dataDir>/trust-keys` (dir 0700,
 * files 0600); in production `WHARF_TRUST_KEYS_DIR` points elsewhere and/or `WHARF_TRUST_KEYS`
 * carries a JSON array of key files (a secret store). Which key serves which role is decided by
 * root metadata, never by the files: a root key kept offline is simply absent here.
 */
export class Keyring {
  private readonly keys = new Map<string, KeyPairFile>();

  private constructor(private readonly dir: string) {}

  static async open(dir: string, envKeys: string | undefined): Promise<Keyring> {
    const ring = new Keyring(dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
      ring.remember(parseKey(await readFile(join(dir, file), 'utf8'), `${dir}/${file}`));
    }
    if (envKeys) {
      let list: unknown;
      try {
        list = JSON.parse(envKeys);
      } catch {
        throw new Error('WHARF_TRUST_KEYS is not JSON (expected an array of key files)');
      }
      if (!Array.isArray(list)) throw new Error('WHARF_TRUST_KEYS must be a JSON array of key files');
      for (const item of list) ring.remember(parseKey(JSON.stringify(item), 'WHARF_TRUST_KEYS'));
    }
    return ring;
  }

  /** Makes a key and stores it with owner-only permissions. */
  async generate(): Promise<KeyPairFile> {
    const pair = await generateKeyPair();
    const path = join(this.dir, `${pair.keyid}.json`);
    await writeFile(path, `${JSON.stringify(pair, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
    this.remember(pair);
    return pair;
  }

  /** Picks up key files added to the directory since start (a root rotation brings new online keys). */
  async reload(): Promise<void> {
    for (const file of (await readdir(this.dir)).filter((f) => f.endsWith('.json'))) {
      this.remember(parseKey(await readFile(join(this.dir, file), 'utf8'), `${this.dir}/${file}`));
    }
  }

  /** The private keys this server holds for a role of the given root. */
  forRole(root: RootSigned, role: TopLevelRole): KeyPairFile[] {
    return root.roles[role].keyids.flatMap((id) => {
      const k = this.keys.get(id);
      return k ? [k] : [];
    });
  }

  private remember(pair: KeyPairFile): void {
    this.keys.set(pair.keyid, pair);
  }
}

function parseKey(text: string, where: string): KeyPairFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${where}: not a JSON key file`);
  }
  const parsed = KeyPairFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${where}: not an Ed25519 key file (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { canonicalBytes, generateKeyPair, parseEnvelope, publicPart, signBytes, type KeyPairFile, type RootSigned } from '@wharf/core';
import type { TestWharf } from './helpers.js';

/**
 * What an attacker who stole some of the registry's keys could produce: correctly signed
 * metadata with chosen contents. Tests read the server's key files to play that attacker.
 */
export async function serverKeys(w: TestWharf): Promise<Map<string, KeyPairFile>> {
  const dir = join(w.dataDir, 'trust-keys');
  const keys = new Map<string, KeyPairFile>();
  // The TUF keys are the JSON files, as the server's Keyring reads them (the npm signing key sits beside them as PEM).
  for (const f of (await readdir(dir)).filter((name) => name.endsWith('.json'))) {
    const k = JSON.parse(await readFile(join(dir, f), 'utf8')) as KeyPairFile;
    keys.set(k.keyid, k);
  }
  return keys;
}

export function signEnvelope(signed: unknown, keys: KeyPairFile[], extra: { keyid: string; sig: string }[] = []): string {
  const message = canonicalBytes(signed);
  return JSON.stringify({ signatures: [...keys.map((k) => ({ keyid: k.keyid, sig: signBytes(k, message) })), ...extra], signed });
}

export const metaOf = (version: number, text: string) => ({ version, length: Buffer.byteLength(text), hashes: { sha256: createHash('sha256').update(text).digest('hex') } });

export async function currentRoot(w: TestWharf): Promise<RootSigned> {
  return parseEnvelope('root', (await w.app.inject({ url: '/trust/root.json' })).body).signed;
}

export async function latest(w: TestWharf, role: 'timestamp' | 'snapshot' | 'targets') {
  const text = (await w.app.inject({ url: `/trust/${role}.json` })).body;
  return { text, signed: JSON.parse(text).signed as Record<string, unknown> & { version: number; expires: string } };
}

/** Keys of a role in a root, from the server's key files. */
export async function roleKeys(w: TestWharf, root: RootSigned, role: 'root' | 'targets' | 'snapshot' | 'timestamp'): Promise<KeyPairFile[]> {
  const all = await serverKeys(w);
  return root.roles[role].keyids.map((id) => all.get(id)).filter((k): k is KeyPairFile => k !== undefined);
}

/** A new key the server holds (written to its keys directory, mode 0600). */
export async function serverKey(w: TestWharf): Promise<KeyPairFile> {
  const k = await generateKeyPair();
  await writeFile(join(w.dataDir, 'trust-keys', `${k.keyid}.json`), JSON.stringify(k), { mode: 0o600 });
  return k;
}

/** Root N+1 with the given role keys and thresholds (others unchanged), unsigned. */
export function nextRoot(root: RootSigned, changes: Partial<Record<'root' | 'targets' | 'snapshot' | 'timestamp', { keys: KeyPairFile[]; threshold: number }>>): RootSigned {
  const next = structuredClone(root) as RootSigned;
  next.version = root.version + 1;
  for (const [role, change] of Object.entries(changes)) {
    next.roles[role as 'root'] = { keyids: change.keys.map((k) => k.keyid), threshold: change.threshold };
    for (const k of change.keys) next.keys[k.keyid] = publicPart(k);
  }
  const used = new Set(Object.values(next.roles).flatMap((r) => (r as { keyids: string[] }).keyids));
  for (const id of Object.keys(next.keys)) if (!used.has(id)) delete next.keys[id];
  return next;
}

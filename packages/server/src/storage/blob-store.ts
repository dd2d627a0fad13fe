import { createReadStream, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * Content-addressed bytes. Keys are hex digests chosen by the caller (sha512 of the content), so a
 * put of the same bytes is idempotent and a key never changes meaning. An implementation must make
 * a blob visible only once it is complete: readers never see a partial blob.
 */
export interface BlobStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  stream(key: string): Readable;
  has(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

const KEY = /^[0-9a-f]{16,128}$/;
/** A full sha512 hex key names its content exactly, so reads can prove the bytes are still the ones stored. */
const SHA512_KEY = /^[0-9a-f]{128}$/;

/** The bytes on disk no longer hash to their key: the disk or someone with access changed them. */
export class BlobCorruptError extends Error {
  constructor(
    readonly key: string,
    readonly actual: string,
  ) {
    super(`blob ${key} is corrupt: its bytes hash to ${actual}`);
    this.name = 'BlobCorruptError';
  }
}

/** Throws BlobCorruptError unless `bytes` hash to `key` (keys that are not full sha512 digests are not checked). */
export function checkBlob(key: string, bytes: Uint8Array): void {
  if (!SHA512_KEY.test(key)) return;
  const actual = createHash('sha512').update(bytes).digest('hex');
  if (actual !== key) throw new BlobCorruptError(key, actual);
}

/** Where a data directory keeps its blobs: the server and `wharf blobs verify` agree on it. */
export const blobsDir = (dataDir: string) => join(resolve(dataDir), 'blobs');

/** Reads every blob once, reporting each corrupt one; the store stays as it is. */
export async function scrubBlobs(store: FsBlobStore, onBad: (err: BlobCorruptError) => void): Promise<{ total: number; bad: number }> {
  let total = 0;
  let bad = 0;
  for await (const key of store.keys()) {
    total++;
    try {
      await store.get(key);
    } catch (err) {
      if (!(err instanceof BlobCorruptError)) throw err;
      bad++;
      onBad(err);
    }
  }
  return { total, bad };
}

/** Files under `<root>/<aa>/<bb>/<key>`, written to a temporary name, fsync'd, then renamed into place. */
export class FsBlobStore implements BlobStore {
  private readonly tmp: string;

  constructor(private readonly root: string) {
    this.tmp = join(root, 'tmp');
  }

  async init(): Promise<this> {
    await fs.mkdir(this.tmp, { recursive: true });
    // Leftovers of a crash mid-write: never visible under a key, safe to drop.
    for (const name of await fs.readdir(this.tmp)) await fs.rm(join(this.tmp, name), { force: true });
    return this;
  }

  path(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${JSON.stringify(key)}`);
    return join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const target = this.path(key);
    if (await this.has(key)) return;
    const temp = join(this.tmp, `${key.slice(0, 16)}.${randomUUID()}`);
    const handle = await fs.open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.mkdir(join(target, '..'), { recursive: true });
    await fs.rename(temp, target);
  }

  /** Verified bytes: a blob whose content no longer matches its key throws BlobCorruptError. */
  async get(key: string): Promise<Buffer | null> {
    try {
      const bytes = await fs.readFile(this.path(key));
      checkBlob(key, bytes);
      return bytes;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  stream(key: string): Readable {
    return createReadStream(this.path(key));
  }

  /** Every stored key, for a scrub of the whole store. */
  async *keys(): AsyncGenerator<string> {
    for (const a of await readdirOrEmpty(this.root)) {
      if (a === 'tmp') continue;
      for (const b of await readdirOrEmpty(join(this.root, a))) {
        for (const key of await readdirOrEmpty(join(this.root, a, b))) if (KEY.test(key)) yield key;
      }
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      await fs.access(this.path(key));
      return true;
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.path(key), { force: true });
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}

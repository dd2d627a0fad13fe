import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
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

  async get(key: string): Promise<Buffer | null> {
    try {
      return await fs.readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  stream(key: string): Readable {
    return createReadStream(this.path(key));
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

import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import { checkKey, type ByteStore } from '../storage/store.js';

/** A directory on disk; `set` writes a temp file, fsyncs it and renames it over the old one. */
export class FsStore implements ByteStore {
  constructor(private readonly dir: string) {}

  private path(key: string): string {
    return join(this.dir, ...checkKey(key));
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw err;
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(value);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true, recursive: true });
  }

  async list(prefix: string): Promise<string[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile() && !d.name.endsWith('.tmp')).map((d) => relative(this.dir, join(d.parentPath, d.name)).split(sep).join('/'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names.filter((k) => k.startsWith(prefix));
  }
}

import { checkKey, type ByteStore } from './store.js';

/**
 * The browser's Origin Private File System. `createWritable` writes to a swap file that replaces
 * the original only on `close`, which gives the atomic `set` the SDK relies on.
 */
export class OpfsStore implements ByteStore {
  private constructor(private readonly root: FileSystemDirectoryHandle) {}

  /** Opens (creating) a directory of the origin's OPFS, e.g. `wharf`. */
  static async open(dirName = 'wharf'): Promise<OpfsStore> {
    const top = await navigator.storage.getDirectory();
    return new OpfsStore(await top.getDirectoryHandle(dirName, { create: true }));
  }

  static supported(): boolean {
    return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
  }

  private async dir(parts: string[], create: boolean): Promise<FileSystemDirectoryHandle | null> {
    let dir = this.root;
    for (const p of parts) {
      try {
        dir = await dir.getDirectoryHandle(p, { create });
      } catch (err) {
        if ((err as DOMException).name === 'NotFoundError' || (err as DOMException).name === 'TypeMismatchError') return null;
        throw err;
      }
    }
    return dir;
  }

  async get(key: string): Promise<Uint8Array | null> {
    const parts = checkKey(key);
    const dir = await this.dir(parts.slice(0, -1), false);
    if (!dir) return null;
    try {
      const file = await (await dir.getFileHandle(parts.at(-1)!)).getFile();
      return new Uint8Array(await file.arrayBuffer());
    } catch (err) {
      if ((err as DOMException).name === 'NotFoundError' || (err as DOMException).name === 'TypeMismatchError') return null;
      throw err;
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    const parts = checkKey(key);
    const dir = (await this.dir(parts.slice(0, -1), true))!;
    const handle = await dir.getFileHandle(parts.at(-1)!, { create: true });
    const writable = await handle.createWritable();
    try {
      await writable.write(value as Uint8Array<ArrayBuffer>);
      await writable.close();
    } catch (err) {
      await writable.abort().catch(() => undefined);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const parts = checkKey(key);
    const dir = await this.dir(parts.slice(0, -1), false);
    await dir?.removeEntry(parts.at(-1)!, { recursive: true }).catch((err: DOMException) => {
      if (err.name !== 'NotFoundError') throw err;
    });
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: FileSystemDirectoryHandle, path: string): Promise<void> => {
      // The async iterator of directory handles is missing from TypeScript's DOM lib.
      for await (const [name, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        const key = path ? `${path}/${name}` : name;
        if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, key);
        else if (key.startsWith(prefix)) out.push(key);
      }
    };
    await walk(this.root, '');
    return out;
  }
}

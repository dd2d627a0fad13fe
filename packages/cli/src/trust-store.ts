import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelRole, TrustedMetadataStore } from '@wharf/core';

/** Trusted metadata as files (`root.json`, `timestamp.json`, …), the layout tuf clients use. */
export class FileTrustedMetadataStore implements TrustedMetadataStore {
  constructor(private readonly dir: string) {}

  async load(role: TopLevelRole): Promise<string | null> {
    try {
      return await readFile(join(this.dir, `${role}.json`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Write then rename: a crash never leaves half a trusted file. */
  async save(role: TopLevelRole, text: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${role}.json.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(this.dir, `${role}.json`));
  }

  async remove(role: TopLevelRole): Promise<void> {
    await rm(join(this.dir, `${role}.json`), { force: true });
  }
}

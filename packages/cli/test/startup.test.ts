import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Every `wharf` command but `serve` is client work: loading Fastify, Kysely, better-sqlite3 and pg for
 * it doubled the start-up time. Only serve.ts may import the server statically, and the command line
 * loads serve.ts on demand (blobs.ts, which opens a data directory, imports the server when it runs).
 */
describe('what the CLI loads at start', () => {
  it('imports @wharf/server statically from serve.ts alone, and serve.ts only on demand', async () => {
    const files = (await readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts'));
    const staticServer: string[] = [];
    for (const file of files) {
      const text = await readFile(`${SRC}${file}`, 'utf8');
      if (/^import (?!type )[^;]*from '@wharf\/server';/m.test(text)) staticServer.push(file);
      if (file !== 'index.ts') continue;
      expect(text).not.toMatch(/^import [^;]*from '\.\/serve\.js';/m);
    }
    expect(staticServer).toEqual(['serve.ts']);
  });
});

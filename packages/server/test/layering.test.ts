import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const SQL = /\.(selectFrom|insertInto|updateTable|deleteFrom)\(|\bsql`/;

/** The transaction convention of docs/architecture.md: SQL lives in repositories, never in services or routes. */
describe('where SQL is written', () => {
  it('only in repositories, storage/ (the stores, migrations) and search/ (the index is its own store)', async () => {
    const files = (await readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      if (/repository\.ts$|^storage\/|^search\//.test(file)) continue;
      if (SQL.test(await readFile(`${SRC}${file}`, 'utf8'))) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});

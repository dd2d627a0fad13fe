import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const SQL = /\.(selectFrom|insertInto|updateTable|deleteFrom)\(|\bsql`/;

/** The transaction convention of docs/architecture.md: SQL lives in repositories, never in services or routes. */
describe('where SQL is written', () => {
  it('only in repositories and storage/ (the stores, the search index, migrations)', async () => {
    const files = (await readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      if (/repository\.ts$|^storage\//.test(file)) continue;
      if (SQL.test(await readFile(`${SRC}${file}`, 'utf8'))) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });

  it('in repositories that never open a transaction nor are built on one: the service opens it and passes it', async () => {
    const files = (await readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(`${SRC}${file}`, 'utf8');
      if (/repository\.ts$/.test(file) && /\.transaction\(\)|isTransaction/.test(text)) offenders.push(`${file}: opens a transaction`);
      if (/new \w+Repository\((trx|tx|t)\)/.test(text)) offenders.push(`${file}: builds a repository on a transaction`);
    }
    expect(offenders).toEqual([]);
  });
});

/** Folders are capabilities: one may use another, never the other way round as well. */
describe('imports between server folders', () => {
  it('form no cycle', async () => {
    const files = (await readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts'));
    // A file at the root (errors.ts, http.ts, app.ts) is a node of its own.
    const folder = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : path.replace(/\.[jt]s$/, ''));
    const edges = new Map<string, Set<string>>();
    for (const file of files) {
      const text = await readFile(`${SRC}${file}`, 'utf8');
      for (const [, spec] of text.matchAll(/^(?:import|export)\b[^;]*?from '(\.{1,2}\/[^']+)'/gm)) {
        const target = folder(normalize(join(dirname(file), spec!)));
        const from = folder(file);
        if (target !== from) edges.set(from, (edges.get(from) ?? new Set()).add(target));
      }
    }
    const cycles: string[] = [];
    const walk = (start: string, at: string, path: string[]) => {
      for (const next of edges.get(at) ?? []) {
        if (next === start) cycles.push([...path, next].join(' -> '));
        else if (!path.includes(next) && next > start) walk(start, next, [...path, next]);
      }
    };
    for (const start of edges.keys()) walk(start, start, [start]);
    expect(cycles).toEqual([]);
  });
});

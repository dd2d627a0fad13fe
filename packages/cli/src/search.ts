import { SearchResultSchema, type SearchResult } from '@wharf/core';
import type { Command } from 'commander';
import { addServerOptions, ControlPlane, type ServerOptions } from './control-plane.js';

export interface SearchOptions extends ServerOptions {
  category?: string;
  tag?: string;
  minRating?: string;
  compatibleWith?: string;
  sort?: string;
  size?: string;
  page?: string;
  json?: boolean;
}

/**
 * `wharf search [q]`: one line per published listing, best match first (without words: browsing,
 * by the filters and the sort order alone); the server validates every filter.
 */
export async function search(q: string, options: SearchOptions, out: (s: string) => void = (s) => process.stdout.write(s), env: NodeJS.ProcessEnv = process.env): Promise<SearchResult> {
  const params = new URLSearchParams(q === '' ? {} : { q });
  const filters: [string, string | undefined][] = [
    ['category', options.category],
    ['tag', options.tag],
    ['minRating', options.minRating],
    ['compatibleWith', options.compatibleWith],
    ['sort', options.sort],
    ['size', options.size],
    ['page', options.page],
  ];
  for (const [key, value] of filters) if (value !== undefined) params.set(key, value);
  const result = await new ControlPlane(options, env).call(SearchResultSchema, 'GET', `/api/v1/search?${params}`);
  if (options.json) {
    out(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  }
  if (result.hits.length === 0) {
    out(q === '' ? 'no plugins match these filters\n' : `no plugins match "${q}"\n`);
    return result;
  }
  const width = Math.max(...result.hits.map((h) => h.id.length));
  for (const hit of result.hits) {
    const rating = hit.rating.average === null ? '  -  ' : `${hit.rating.average.toFixed(1)}★`.padStart(5);
    out(`${hit.id.padEnd(width)}  ${rating}  ${String(hit.installs).padStart(7)} installs  ${hit.name} — ${hit.description.split('\n')[0]}\n`);
  }
  out(`${result.hits.length} of ${result.total} shown\n`);
  return result;
}

export function registerSearchCommand(program: Command): void {
  addServerOptions(
    program
      .command('search')
      .description('search the marketplace (published plugin listings)')
      .argument('[query...]', 'words to look for (prefix and typo tolerant); none to browse by the filters')
      .option('--category <category>', 'only this category')
      .option('--tag <tag>', 'only listings with this tag')
      .option('--min-rating <n>', 'average rating at least n (0–5)')
      .option('--compatible-with <version>', 'only plugins that run on this host version')
      .option('--sort <order>', 'relevance | downloads | rating | updated')
      .option('--size <n>', 'results per page (at most 100)')
      .option('--page <n>', 'page number')
      .option('--json', 'print the raw result, facets included'),
  ).action(async (words: string[], options: SearchOptions) => {
    await search(words.join(' '), options);
  });
}

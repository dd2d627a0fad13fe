import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SearchDocument, SearchRequest } from '../src/search/search-index.js';
import { createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';

interface FixtureListing {
  id: string;
  name: string;
  description: string;
  category: string;
  tags: string[];
  installs: number;
  ratings: number[];
  minHostVersion: string | null;
}

const corpus = JSON.parse(readFileSync(new URL('./fixtures/plugin-listings.json', import.meta.url), 'utf8')) as FixtureListing[];

const asDocument = (l: FixtureListing): SearchDocument => ({
  kind: 'plugin',
  ref: l.id,
  name: l.name,
  description: l.description,
  keywords: l.tags,
  category: l.category,
  tags: l.tags,
  package: null,
  popularity: l.installs,
  ratingSum: l.ratings.reduce((a, b) => a + b, 0),
  ratingCount: l.ratings.length,
  minHostVersion: l.minHostVersion,
  maxHostVersion: null,
  updatedAt: '2026-11-01T00:00:00.000Z',
});

const request = (q: string, extra: Partial<SearchRequest> = {}): SearchRequest => ({ q, sort: 'relevance', offset: 0, limit: 10, ...extra });

describeEachBackend('search relevance on a fixed corpus', (backend) => {
  let w: TestWharf;
  const ids = async (q: string, extra: Partial<SearchRequest> = {}) => (await w.store.search.search('plugin', request(q, extra))).hits.map((h) => h.id);

  beforeAll(async () => {
    w = await createTestWharf(backend);
    await w.store.search.putMany(corpus.map(asDocument));
  });
  afterAll(() => w.destroy());

  it('holds the whole corpus (at least 200 listings)', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect((await w.store.search.search('plugin', request('', { limit: 1 }))).total).toBe(corpus.length);
  });

  it('ranks a name match above listings that only mention the words in tags or description', async () => {
    const top = await ids('pdf export');
    expect(top[0]).toBe('com.cartae.pdf-export');
    expect(top.slice(0, 3)).toContain('io.github.jdoe.pdf-export-lite');
    // PDF Merge is tagged pdf and its description says "exported": it comes after both name matches.
    expect(top.indexOf('com.cartae.pdf-merge')).toBeGreaterThan(top.indexOf('io.github.jdoe.pdf-export-lite'));
  });

  it('tolerates typos: "pdf exprt" still finds PDF Export first', async () => {
    expect((await ids('pdf exprt'))[0]).toBe('com.cartae.pdf-export');
    expect(await ids('mermiad')).toContain('com.cartae.mermaid-diagrams');
    expect((await ids('grammer assistant'))[0]).toBe('com.writing.grammar-assistant');
  });

  it('matches prefixes as the user types', async () => {
    expect((await ids('kanb'))[0]).toBe('com.cartae.kanban');
    expect(await ids('zote')).toContain('com.integrations.zotero');
    expect((await ids('spell chec'))[0]).toBe('com.cartae.spell-checker');
  });

  it('weights tags above description: "dictionary" lists the dictionaries, not the spell checker that uses them', async () => {
    const top = await ids('dictionary', { limit: 12 });
    expect(top).toHaveLength(12);
    expect(top.every((id) => id.startsWith('org.dictionaries.'))).toBe(true);
  });

  it('breaks near-ties by popularity: among the PDF plugins the most installed comes first', async () => {
    const hits = (await w.store.search.search('plugin', request('pdf', { limit: 20 }))).hits;
    const nameMatches = hits.filter((h) => /^PDF /.test(h.name));
    expect(nameMatches[0]!.id).toBe('com.cartae.pdf-export');
  });

  it('ignores diacritics and punctuation, and finds nothing for words in no listing', async () => {
    expect((await ids('Grámmar-Assistant!'))[0]).toBe('com.writing.grammar-assistant');
    expect(await ids('xylophone')).toEqual([]);
  });

  it('filters by category, tag, rating and host compatibility, and counts facets over the matches', async () => {
    const req = request('import', { category: 'import' });
    const page = await w.store.search.search('plugin', req);
    expect(page.total).toBe(corpus.filter((l) => l.category === 'import').length);
    const facets = (await w.store.search.searchWithFacets('plugin', req)).facets;
    // The category facet ignores the category filter: other categories matching "import" still show.
    expect(facets.categories.import).toBe(page.total);
    expect(Object.keys(facets.categories).length).toBeGreaterThan(1);
    const compatible = await w.store.search.search('plugin', request('', { compatibleWith: '0.2.5', limit: 300 }));
    const expected = corpus.filter((l) => l.minHostVersion === null || ['0.1.0', '0.2.0'].includes(l.minHostVersion));
    expect(compatible.total).toBe(expected.length);
    const rated = await w.store.search.search('plugin', request('', { minRating: 4.5, limit: 300 }));
    expect(rated.total).toBe(corpus.filter((l) => l.ratings.length > 0 && l.ratings.reduce((a, b) => a + b, 0) / l.ratings.length >= 4.5).length);
    const tagged = await w.store.search.search('plugin', request('', { tag: 'markdown', limit: 300 }));
    expect(tagged.hits.map((h) => h.id).sort()).toEqual(corpus.filter((l) => l.tags.includes('markdown')).map((l) => l.id).sort());
  });
});

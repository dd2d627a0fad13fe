import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import semver from 'semver';
import type { SearchFacets } from '@wharf/core';
import type { SearchDocument, SearchRequest } from '../src/storage/search/search-index.js';
import { openSearchIndex } from '../src/storage/search/open-search-index.js';
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
  // Some listings with an upper bound too, so that compatibility filtering sees both ends.
  maxHostVersion: l.minHostVersion === '0.1.0' ? '0.3.0' : null,
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
    // 0.3.0 is past the upper bound of the 0.1.0 listings.
    const newer = await w.store.search.search('plugin', request('', { compatibleWith: '0.3.0', limit: 300 }));
    expect(newer.total).toBe(corpus.filter((l) => l.minHostVersion === null || ['0.2.0', '0.3.0'].includes(l.minHostVersion)).length);
    const rated = await w.store.search.search('plugin', request('', { minRating: 4.5, limit: 300 }));
    expect(rated.total).toBe(corpus.filter((l) => l.ratings.length > 0 && l.ratings.reduce((a, b) => a + b, 0) / l.ratings.length >= 4.5).length);
    const tagged = await w.store.search.search('plugin', request('', { tag: 'markdown', limit: 300 }));
    expect(tagged.hits.map((h) => h.id).sort()).toEqual(corpus.filter((l) => l.tags.includes('markdown')).map((l) => l.id).sort());
  });

  it('counts total and every facet as a scan of the corpus does, for text and browsing, under each mix of filters', async () => {
    const filterSets: Partial<SearchRequest>[] = [
      {},
      { category: 'export' },
      { minRating: 4 },
      { tag: 'pdf', compatibleWith: '0.3.0' },
      { category: 'import', tag: 'pdf', minRating: 3, compatibleWith: '0.2.5' },
    ];
    for (const q of ['', 'export', 'pdf', 'markdwn']) {
      // The text match itself is the engine's; what is checked is how filters and facets apply to it.
      const matched = new Set(q === '' ? corpus.map((l) => l.id) : (await w.store.search.search('plugin', request(q, { limit: 1000 }))).hits.map((h) => h.id));
      expect(matched.size, q).toBeGreaterThan(0);
      for (const filters of filterSets) {
        const label = JSON.stringify({ q, ...filters });
        const result = await w.store.search.searchWithFacets('plugin', request(q, { ...filters, limit: 5 }));
        const expected = facetsByScan(corpus.filter((l) => matched.has(l.id)), filters);
        expect(result.total, label).toBe(expected.total);
        expect(result.hits.length, label).toBe(Math.min(5, expected.total));
        expect(result.facets.categories, label).toEqual(expected.facets.categories);
        expect(result.facets.rating, label).toEqual(expected.facets.rating);
        expect(result.facets.compatibility, label).toEqual(expected.facets.compatibility);
        // Tags: the 30 most frequent, exact counts; ties at the cut may fall either way.
        const tags = Object.entries(result.facets.tags);
        expect(tags.length, label).toBe(Math.min(30, Object.keys(expected.facets.tags).length));
        for (const [tag, n] of tags) expect(n, `${label} ${tag}`).toBe(expected.facets.tags[tag]);
        const cut = Math.min(...tags.map(([, n]) => n));
        for (const [tag, n] of Object.entries(expected.facets.tags)) if (!(tag in result.facets.tags)) expect(n, `${label} ${tag}`).toBeLessThanOrEqual(cut);
      }
    }
  });

  it('keeps browsing counts and typo corrections current across writes, also those of another process on the same database', async () => {
    // A second index on the same database stands for a replica: its caches must follow writes it did not make.
    const replica = openSearchIndex(w.store.db, backend);
    const browse = () => replica.searchWithFacets('plugin', request('', { limit: 1 }));
    const before = await browse();
    expect(await replica.search('plugin', request('zylofonic'))).toEqual({ hits: [], total: 0 });
    const extra = { ...asDocument(corpus[0]!), ref: 'org.test.extra', name: 'Zylophonic', category: 'ai', ratingSum: 0, ratingCount: 0 };
    await w.store.search.put(extra);
    expect((await replica.search('plugin', request('zylofonic'))).hits.map((h) => h.id)).toEqual(['org.test.extra']);
    const added = await browse();
    expect(added.total).toBe(before.total + 1);
    expect(added.facets.categories.ai).toBe((before.facets.categories.ai ?? 0) + 1);
    expect(added.facets.rating.unrated).toBe(before.facets.rating.unrated + 1);
    await w.store.search.setCounters('plugin', 'org.test.extra', { ratingSum: 5, ratingCount: 1 });
    expect((await browse()).facets.rating['4+']).toBe(before.facets.rating['4+'] + 1);
    await w.store.search.remove('plugin', 'org.test.extra');
    expect(await browse()).toEqual(before);
  });
});

/** Total and facets computed by brute force: each facet under every filter but its own. */
function facetsByScan(listings: FixtureListing[], f: Partial<SearchRequest>): { total: number; facets: SearchFacets } {
  const average = (l: FixtureListing) => (l.ratings.length === 0 ? null : l.ratings.reduce((a, b) => a + b, 0) / l.ratings.length);
  const checks = {
    category: (l: FixtureListing) => f.category === undefined || l.category === f.category,
    tag: (l: FixtureListing) => f.tag === undefined || l.tags.includes(f.tag),
    minRating: (l: FixtureListing) => f.minRating === undefined || (average(l) ?? -1) >= f.minRating,
    compatibleWith: (l: FixtureListing) => {
      if (f.compatibleWith === undefined) return true;
      const max = asDocument(l).maxHostVersion;
      return (l.minHostVersion === null || semver.lte(l.minHostVersion, f.compatibleWith)) && (max === null || semver.lt(f.compatibleWith, max));
    },
  };
  const passing = (except: keyof typeof checks | null) => listings.filter((l) => Object.entries(checks).every(([name, ok]) => name === except || ok(l)));
  const countBy = (ls: FixtureListing[], keys: (l: FixtureListing) => string[]) => {
    const out: Record<string, number> = {};
    for (const l of ls) for (const k of keys(l)) out[k] = (out[k] ?? 0) + 1;
    return out;
  };
  const rated = passing('minRating');
  const atLeast = (n: number) => rated.filter((l) => (average(l) ?? 0) >= n).length;
  return {
    total: passing(null).length,
    facets: {
      categories: countBy(passing('category'), (l) => [l.category]),
      tags: countBy(passing('tag'), (l) => l.tags),
      rating: { '4+': atLeast(4), '3+': atLeast(3), '2+': atLeast(2), '1+': atLeast(1), unrated: rated.filter((l) => l.ratings.length === 0).length },
      compatibility: countBy(passing('compatibleWith'), (l) => [l.minHostVersion ?? 'any']),
    },
  };
}

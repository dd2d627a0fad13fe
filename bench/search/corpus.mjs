// The synthetic corpus and query mix of the search benchmark, shared by run.mjs and by anyone profiling
// a query plan on the same data. A seeded generator: every run builds the same listings and queries.
import { sql } from 'kysely';
import { CATEGORIES } from '../../packages/core/dist/index.js';

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (list) => list[Math.floor(rand() * list.length)];
const WORDS = ('pdf export import markdown table diagram mermaid graph sync git github calendar task kanban theme dark light nord ' +
  'spell grammar dictionary french german translate summary ai writing outline navigator backlink search replace regex json csv ' +
  'chart timeline map presentation slide print epub latex math formula code syntax highlight vim emacs keyboard focus timer pomodoro ' +
  'journal daily template snippet clipboard backup encrypt password lock audio video image ocr screenshot web clipper rss feed ' +
  'zotero citation bibliography footnote comment review share collaborate realtime presence dropbox drive nextcloud webdav s3').split(' ');
const TAGS = WORDS.filter((w) => w.length > 3).slice(0, 60);

export function listing(i) {
  const nameWords = [pick(WORDS), pick(WORDS)];
  const words = Array.from({ length: 14 }, () => pick(WORDS));
  const ratingCount = Math.floor(rand() * 6);
  return {
    kind: 'plugin',
    ref: `org.bench.p${i}`,
    name: `${nameWords.map((w) => w[0].toUpperCase() + w.slice(1)).join(' ')} ${i}`,
    description: `${words.join(' ')}.`,
    keywords: [pick(TAGS), pick(TAGS)],
    category: pick(CATEGORIES),
    tags: [...new Set([pick(TAGS), pick(TAGS), pick(TAGS)])],
    package: null,
    popularity: Math.floor(rand() ** 3 * 100000),
    ratingSum: Array.from({ length: ratingCount }, () => 1 + Math.floor(rand() * 5)).reduce((a, b) => a + b, 0),
    ratingCount,
    minHostVersion: pick([null, '0.1.0', '0.2.0', '0.3.0', '1.0.0']),
    maxHostVersion: null,
    updatedAt: new Date(Date.UTC(2026, 0, 1) + i * 60000).toISOString(),
  };
}

/** `count` search URLs: words, two words, 3-letter prefixes, typos, each filter, browsing, a later page. */
export function queryMix(count) {
  const typo = (w) => (w.length > 4 ? w.slice(0, 2) + w.slice(3) : w);
  const kinds = [
    () => `q=${pick(WORDS)}`,
    () => `q=${pick(WORDS)}+${pick(WORDS)}`,
    () => `q=${pick(WORDS).slice(0, 3)}`,
    () => `q=${typo(pick(WORDS.filter((w) => w.length > 5)))}`,
    () => `q=${pick(WORDS)}&category=${pick(CATEGORIES)}`,
    () => `q=${pick(WORDS)}&tag=${pick(TAGS)}&minRating=3`,
    () => `q=${pick(WORDS)}&compatibleWith=0.2.5&sort=downloads`,
    () => `category=${pick(CATEGORIES)}&sort=rating`,
    () => `q=${pick(WORDS)}&page=3&size=20`,
  ];
  return Array.from({ length: count }, () => `/api/v1/search?${pick(kinds)()}`);
}

/**
 * Bulk load for a 100k corpus: multi-row inserts (the trigger of migration 0010 copies each row to
 * search_match), then the same tsvector, tag ids and word list the index's write path produces (text
 * here is already lowercase words, so normalisation is the identity).
 */
export async function loadPostgres(wharf, docs) {
  const db = wharf.store.db;
  for (let i = 0; i < docs.length; i += 1000) {
    const batch = docs.slice(i, i + 1000);
    await db.insertInto('search_documents').values(batch.map((d) => ({
      doc_id: `plugin:${d.ref}`, kind: 'plugin', ref: d.ref, name: d.name.toLowerCase(), description: d.description.replace('.', ''), keywords: d.keywords.join(' '),
      category: d.category, tags: JSON.stringify(d.tags), package: null, popularity: d.popularity, rating_sum: d.ratingSum, rating_count: d.ratingCount,
      min_host_key: d.minHostVersion ? d.minHostVersion.split('.').map((n) => n.padStart(6, '0')).join('.') : null, min_host_version: d.minHostVersion, updated_at: d.updatedAt, text_id: null,
    }))).execute();
    await db.insertInto('search_tags').values(batch.flatMap((d) => d.tags.map((tag) => ({ doc_id: `plugin:${d.ref}`, tag })))).execute();
  }
  await sql`insert into search_tag_ids (tag) select distinct tag from search_tags order by tag`.execute(db);
  await sql`update search_match m set search_vector = setweight(to_tsvector('simple', d.name), 'A') || setweight(to_tsvector('simple', d.keywords), 'B') || setweight(to_tsvector('simple', d.description), 'C'),
    tag_ids = array(select t.id from search_tags s join search_tag_ids t on t.tag = s.tag where s.doc_id = d.doc_id)
    from search_documents d where d.doc_id = m.doc_id`.execute(db);
  await sql`insert into search_terms (term) select distinct w from search_documents, regexp_split_to_table(name || ' ' || keywords || ' ' || description, ' ') w where length(w) > 3 on conflict do nothing`.execute(db);
  // Vacuum too: the vector update leaves a dead version of every row of search_match (as the index's
  // own writes do: the trigger inserts the row, then the text is written), and an autovacuum of them
  // during the timed queries would be measured as search latency.
  await sql`vacuum analyze search_match`.execute(db);
  await sql`analyze`.execute(db);
}

// Faceted search latency: p50/p95 of GET /api/v1/search (through Fastify inject, so routing, validation,
// the full-text match, four facet queries, count and page are all measured) over synthetic listings:
// 10,000 on SQLite, 100,000 on PostgreSQL. Run after `npm run build`:  npm run bench:search
// Env: BENCH_SQLITE_N, BENCH_PG_N, BENCH_QUERIES (default 400), WHARF_TEST_PG_URL (default local trust auth).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createWharf, loadConfig } from '../../packages/server/dist/index.js';
import { CATEGORIES } from '../../packages/core/dist/index.js';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 400);
const MAX_SECONDS = 120;
const PG_URL = process.env.WHARF_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// A seeded generator: every run searches the same corpus.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (list) => list[Math.floor(rand() * list.length)];
const WORDS = ('pdf export import markdown table diagram mermaid graph sync git github calendar task kanban theme dark light nord ' +
  'spell grammar dictionary french german translate summary ai writing outline navigator backlink search replace regex json csv ' +
  'chart timeline map presentation slide print epub latex math formula code syntax highlight vim emacs keyboard focus timer pomodoro ' +
  'journal daily template snippet clipboard backup encrypt password lock audio video image ocr screenshot web clipper rss feed ' +
  'zotero citation bibliography footnote comment review share collaborate realtime presence dropbox drive nextcloud webdav s3').split(' ');
const TAGS = WORDS.filter((w) => w.length > 3).slice(0, 60);

function listing(i) {
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
    updatedAt: new Date(Date.UTC(2026, 0, 1) + i * 60000).toISOString(),
  };
}

function queryMix() {
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
  return Array.from({ length: QUERIES }, () => `/api/v1/search?${pick(kinds)()}`);
}

async function loadPostgres(wharf, docs) {
  // Bulk load for a 100k corpus: multi-row inserts, then the same tsvector and word list the index's
  // write path produces (text here is already lowercase words, so normalisation is the identity).
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
  const { sql } = await import('kysely');
  await sql`update search_documents set search_vector = setweight(to_tsvector('simple', name), 'A') || setweight(to_tsvector('simple', keywords), 'B') || setweight(to_tsvector('simple', description), 'C')`.execute(db);
  await sql`insert into search_terms (term) select distinct w from search_documents, regexp_split_to_table(name || ' ' || keywords || ' ' || description, ' ') w where length(w) > 3 on conflict do nothing`.execute(db);
  await sql`analyze`.execute(db);
}

async function run(backend, n) {
  const dataDir = await mkdtemp(join(tmpdir(), 'wharf-bench-search-'));
  let dbName = null;
  if (backend === 'postgres') {
    dbName = `wharf_bench_search_${Date.now()}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`create database ${dbName}`);
    await c.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${dbName}`;
  const wharf = await createWharf(loadConfig({ dataDir, databaseUrl: dbName ? url.toString() : undefined, logLevel: 'warn' }, {}, null));
  try {
    const docs = Array.from({ length: n }, (_, i) => listing(i));
    const loadStart = performance.now();
    if (backend === 'postgres') await loadPostgres(wharf, docs);
    else for (let i = 0; i < docs.length; i += 1000) await wharf.store.search.putMany(docs.slice(i, i + 1000));
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const queries = queryMix();
    for (const q of queries.slice(0, 30)) await wharf.app.inject({ url: q });
    const times = [];
    const deadline = performance.now() + MAX_SECONDS * 1000;
    for (const q of queries) {
      const t = performance.now();
      const res = await wharf.app.inject({ url: q });
      times.push(performance.now() - t);
      if (res.statusCode !== 200) throw new Error(`${q}: ${res.statusCode} ${res.body}`);
      if (performance.now() > deadline) break;
    }
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))].toFixed(1);
    const target = backend === 'postgres' ? 50 : 20;
    console.log(`${backend.padEnd(8)} ${String(n).padStart(7)} listings  load ${loadSeconds.toFixed(1)} s  ${times.length} queries  p50 ${at(50)} ms  p95 ${at(95)} ms  p99 ${at(99)} ms  max ${times.at(-1).toFixed(1)} ms  (target p95 < ${target} ms: ${Number(at(95)) < target ? 'met' : 'MISSED'})`);
  } finally {
    await wharf.close();
    await rm(dataDir, { recursive: true, force: true });
    if (dbName) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${dbName} with (force)`);
      await c.end();
    }
  }
}

await run('sqlite', Number(process.env.BENCH_SQLITE_N ?? 10_000));
await run('postgres', Number(process.env.BENCH_PG_N ?? 100_000));

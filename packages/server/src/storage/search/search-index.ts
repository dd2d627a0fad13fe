import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { SearchFacets, SearchHit, SearchParams } from '@wharf/core';
import type { Database } from '../schema.js';
import { corrections, hostVersionKey, queryTerms, indexText, typoBudget } from './tokens.js';

export type SearchKind = 'plugin' | 'package';

/** What the index knows of one listing or package; text fields are indexed, the rest filters and sorts. */
export interface SearchDocument {
  kind: SearchKind;
  /** Plugin id or package name. */
  ref: string;
  name: string;
  description: string;
  keywords: string[];
  category: string | null;
  tags: string[];
  package: string | null;
  popularity: number;
  ratingSum: number;
  ratingCount: number;
  minHostVersion: string | null;
  /** The first host version it no longer supports (exclusive upper bound of `engines.cartae`); null: no bound. */
  maxHostVersion: string | null;
  updatedAt: string;
}

export interface SearchRequest {
  q: string;
  category?: string | undefined;
  tag?: string | undefined;
  minRating?: number | undefined;
  compatibleWith?: string | undefined;
  sort: SearchParams['sort'];
  offset: number;
  limit: number;
}

export interface SearchPage {
  hits: SearchHit[];
  total: number;
}

/** One term of a full-text query: a prefix, or the indexed words a misspelt term was corrected to. */
export type QueryTerm = { prefix: string } | { words: string[] };

/** How an engine matches text: a from clause (document alias `d`) with its condition and score. */
export interface TextMatch {
  from: RawBuilder<unknown>;
  where: RawBuilder<unknown> | null;
  score: RawBuilder<unknown>;
}

type Filter = 'category' | 'tag' | 'minRating' | 'compatibleWith';
type Facet = keyof SearchFacets;
/** Each facet counts the matches under every filter but its own. */
const FACET_FILTER: Record<Facet, Filter> = { categories: 'category', tags: 'tag', rating: 'minRating', compatibility: 'compatibleWith' };
const FACETS = Object.keys(FACET_FILTER) as Facet[];
const TOP_TAGS = 30;

/** A row of the search statement: a page hit (`k` its id, `n` its position), a tag count, or a group of counts. */
interface ResultRow {
  part: 'hit' | 'tags' | 'groups';
  /** Document id, tag, or category. */
  k: string | null;
  /** Minimum host version. */
  k2: string | null;
  /** Rating bucket. */
  k3: string | null;
  n: number | string;
  n_all: number | string | null;
  n_category: number | string | null;
  n_rating: number | string | null;
  n_compat: number | string | null;
  rel: number | string | null;
}

/**
 * The one search interface behind the marketplace search and npm's `/-/v1/search`. Filters, facets,
 * sorting and paging are portable SQL written once here; each engine supplies only the full-text part
 * (indexing the text of a document, and turning query terms into a match with a score).
 *
 * A search is one statement: the full-text match runs once into a materialised set (`b`) carrying the
 * columns that filters, facets and sorting read plus one 0/1 flag per active filter; the page, the total
 * and every facet are aggregates over that set. The page's display columns are then read by key.
 *
 * Browsing without text needs the facets and total of all documents of a kind, which would mean
 * aggregating the whole index on every request: they are cached, keyed by a generation that every
 * write bumps in the database (so replicas sharing a PostgreSQL database see each other's writes).
 */
export abstract class SearchIndex {
  private readonly browseCache = new Map<SearchKind, { generation: number; total: number; facets: SearchFacets }>();

  constructor(protected readonly db: Kysely<Database>) {}

  /** Indexes the text of a document whose row already exists; replaces what was indexed before. */
  protected abstract writeText(trx: Transaction<Database>, docId: string, name: string, keywords: string, description: string): Promise<void>;
  protected abstract deleteText(trx: Transaction<Database>, docId: string): Promise<void>;
  /** The match of documents containing every term. */
  protected abstract textMatch(terms: readonly QueryTerm[]): TextMatch;
  /** Whether any indexed document (of any kind) has a word starting with the term. */
  protected abstract hasPrefixMatch(term: string): Promise<boolean>;
  /**
   * Indexed words starting with `first` whose length is within the bounds: the candidates of typo
   * correction, which keeps a term's first letter (the one users rarely get wrong).
   */
  protected abstract wordsLike(first: string, minLength: number, maxLength: number): Promise<string[]>;
  /**
   * The table `b` is read from when browsing without text (alias `d`): at least the filter, facet and
   * sort columns of `search_documents`.
   */
  protected abstract readonly documents: RawBuilder<unknown>;
  /** What `b` carries for tagCounts, as `tag_data`. */
  protected abstract readonly tagData: RawBuilder<unknown>;
  /** `select tag, n …`: how many of the rows of `b` that `where` keeps have each tag. */
  protected abstract tagCounts(where: RawBuilder<unknown>): RawBuilder<unknown>;
  /** The condition on `d` that the document has the tag. */
  protected abstract hasTag(tag: string): RawBuilder<unknown>;

  async put(doc: SearchDocument): Promise<void> {
    await this.putMany([doc]);
  }

  async putMany(docs: readonly SearchDocument[]): Promise<void> {
    if (docs.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const doc of docs) {
        const docId = documentId(doc.kind, doc.ref);
        const row = {
          kind: doc.kind,
          ref: doc.ref,
          name: doc.name,
          description: doc.description,
          keywords: doc.keywords.join(' '),
          category: doc.category,
          tags: JSON.stringify(doc.tags),
          package: doc.package,
          popularity: doc.popularity,
          rating_sum: doc.ratingSum,
          rating_count: doc.ratingCount,
          min_host_key: doc.minHostVersion ? hostVersionKey(doc.minHostVersion) : null,
          min_host_version: doc.minHostVersion,
          max_host_key: doc.maxHostVersion ? hostVersionKey(doc.maxHostVersion) : null,
          updated_at: doc.updatedAt,
        };
        await trx
          .insertInto('search_documents')
          .values({ doc_id: docId, ...row, text_id: null })
          .onConflict((oc) => oc.column('doc_id').doUpdateSet(row))
          .execute();
        await trx.deleteFrom('search_tags').where('doc_id', '=', docId).execute();
        if (doc.tags.length > 0) await trx.insertInto('search_tags').values([...new Set(doc.tags)].map((tag) => ({ doc_id: docId, tag }))).execute();
        await this.writeText(trx, docId, indexText([doc.name]), indexText([...doc.keywords, doc.package ?? '']), indexText([doc.description]));
      }
      await bumpGeneration(trx);
    });
  }

  /** Popularity and rating change often and touch no text: no re-indexing. Popularity is in no facet, so installs keep the caches. */
  async setCounters(kind: SearchKind, ref: string, counters: { popularity?: number; ratingSum?: number; ratingCount?: number }): Promise<void> {
    const set = {
      ...(counters.popularity !== undefined ? { popularity: counters.popularity } : {}),
      ...(counters.ratingSum !== undefined ? { rating_sum: counters.ratingSum } : {}),
      ...(counters.ratingCount !== undefined ? { rating_count: counters.ratingCount } : {}),
    };
    if (Object.keys(set).length === 0) return;
    const update = (db: Kysely<Database>) => db.updateTable('search_documents').set(set).where('doc_id', '=', documentId(kind, ref)).execute();
    if (counters.ratingSum === undefined && counters.ratingCount === undefined) {
      await update(this.db);
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      await update(trx);
      await bumpGeneration(trx);
    });
  }

  async remove(kind: SearchKind, ref: string): Promise<void> {
    const docId = documentId(kind, ref);
    await this.db.transaction().execute(async (trx) => {
      await this.deleteText(trx, docId);
      await trx.deleteFrom('search_documents').where('doc_id', '=', docId).execute();
      await bumpGeneration(trx);
    });
  }

  /** Registry packages the index does not hold yet (a registry upgraded to a version with the index). */
  async unindexedPackages(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('packages')
      .leftJoin('search_documents', (join) => join.onRef('search_documents.ref', '=', 'packages.name').on('search_documents.kind', '=', 'package'))
      .select('packages.name')
      .where('search_documents.doc_id', 'is', null)
      .execute();
    return rows.map((r) => r.name);
  }

  async has(kind: SearchKind, ref: string): Promise<boolean> {
    return (await this.db.selectFrom('search_documents').select('doc_id').where('doc_id', '=', documentId(kind, ref)).executeTakeFirst()) !== undefined;
  }

  /** One page of hits with the total, without facets (what npm search needs). */
  async search(kind: SearchKind, req: SearchRequest): Promise<SearchPage> {
    const { hits, total } = await this.run(kind, req, false);
    return { hits, total };
  }

  /**
   * One page of hits, the total and the facet counts over the matches. Each facet ignores its own
   * filter (and only its own), so that choosing a category still shows how many results the other
   * categories would give.
   */
  searchWithFacets(kind: SearchKind, req: SearchRequest): Promise<SearchPage & { facets: SearchFacets }> {
    return this.run(kind, req, true);
  }

  /** Facets not asked for are left empty. */
  private async run(kind: SearchKind, req: SearchRequest, withFacets: boolean): Promise<SearchPage & { facets: SearchFacets }> {
    const terms = queryTerms(req.q);
    if (terms.length === 0) {
      // Text that is not blank but has no word in it (`%_%`, `"*`) matches nothing; blank text browses everything.
      if (req.q.trim() !== '') return { hits: [], total: 0, facets: emptyFacets() };
      return this.browse(kind, req, withFacets);
    }
    // Every term as a prefix first; only when that matches nothing are the terms looked at one by one,
    // so that the common case runs no per-term query.
    const prefixes = terms.map((prefix) => ({ prefix }));
    const first = await this.statement(kind, req, this.textMatch(prefixes), withFacets ? FACETS : []);
    if (first.matched > 0) return first;
    const corrected = await this.correct(terms);
    if (!corrected) return first;
    return this.statement(kind, req, this.textMatch(corrected), withFacets ? FACETS : []);
  }

  /**
   * The terms with each one that matches nothing, not even as a prefix, replaced by its closest indexed
   * words; null when every term already matches (the words just never occur together) or when a term
   * has no close word.
   */
  private async correct(terms: readonly string[]): Promise<QueryTerm[] | null> {
    const result: QueryTerm[] = [];
    let changed = false;
    for (const term of terms) {
      if (await this.hasPrefixMatch(term)) {
        result.push({ prefix: term });
        continue;
      }
      const budget = typoBudget(term);
      const fixes = budget === 0 ? [] : corrections(term, await this.wordsLike(term[0]!, term.length - budget, term.length + budget));
      if (fixes.length === 0) return null;
      result.push({ words: fixes });
      changed = true;
    }
    return changed ? result : null;
  }

  /**
   * Browsing without text. The set to aggregate is every document, narrowed to those that satisfy all
   * filters but at most one (what any facet counts); a facet whose count ignores every active filter is
   * the facet of all documents, which comes from the cache, as does everything when nothing is filtered.
   */
  private async browse(kind: SearchKind, req: SearchRequest, withFacets: boolean): Promise<SearchPage & { facets: SearchFacets }> {
    const active = this.conditions(req);
    if (active.size === 0) {
      const [page, all] = await Promise.all([this.firstPage(kind, req), this.allDocuments(kind)]);
      return { hits: page, total: all.total, facets: withFacets ? structuredClone(all.facets) : emptyFacets() };
    }
    const own = (facet: Facet) => active.has(FACET_FILTER[facet]);
    const fromCache = withFacets ? FACETS.filter((f) => own(f) && active.size === 1) : [];
    const computed = withFacets ? FACETS.filter((f) => !fromCache.includes(f)) : [];
    const [result, all] = await Promise.all([
      this.statement(kind, req, null, computed),
      fromCache.length > 0 ? this.allDocuments(kind) : null,
    ]);
    if (all) for (const facet of fromCache) (result.facets as Record<Facet, unknown>)[facet] = structuredClone(all.facets[facet]);
    return result;
  }

  /** Total and facets of all documents of a kind, recomputed after a write. */
  private async allDocuments(kind: SearchKind): Promise<{ total: number; facets: SearchFacets }> {
    const generation = await this.generation();
    const cached = this.browseCache.get(kind);
    if (cached?.generation === generation) return cached;
    const { total, facets } = await this.statement(kind, { q: '', sort: 'relevance', offset: 0, limit: 0 }, null, FACETS);
    const entry = { generation, total, facets };
    this.browseCache.set(kind, entry);
    return entry;
  }

  /** The first page when browsing unfiltered: straight from the sort's index, no aggregate. */
  private async firstPage(kind: SearchKind, req: SearchRequest): Promise<SearchHit[]> {
    const rows = await sql<HitRow>`select ${hitColumns}, 0 as rel from search_documents d where d.kind = ${kind}
      order by ${this.order(req.sort, false, (name) => sql.ref(`d.${name}`))} limit ${req.limit} offset ${req.offset}`.execute(this.db);
    return rows.rows.map(toHit);
  }

  /**
   * The search statement: `b` is the match (or, without text, the documents the filters leave to
   * aggregate), each branch of the union one aggregate over it; `hit` rows are the page, in order.
   */
  /** Runs the search statement; an engine may wrap it (PostgreSQL gives it more memory). */
  protected runStatement<R>(statement: RawBuilder<R>): Promise<{ rows: R[] }> {
    return statement.execute(this.db);
  }

  private async statement(kind: SearchKind, req: SearchRequest, match: TextMatch | null, facetsWanted: readonly Facet[]): Promise<SearchPage & { facets: SearchFacets; matched: number }> {
    const active = this.conditions(req);
    const flags = [...active].map(([name, cond]) => sql`case when ${cond} then 1 else 0 end as ${sql.ref(`f_${name}`)}`);
    /** The condition on a row of `b` that every active filter but `except` holds; null when there is none. */
    const holds = (except: Filter | null) => {
      const names = [...active.keys()].filter((n) => n !== except);
      return names.length === 0 ? null : sql.join(names.map((n) => sql`${sql.ref(`f_${n}`)} = 1`), sql` and `);
    };
    const where = (except: Filter | null) => {
      const cond = holds(except);
      return cond ? sql`where ${cond}` : sql``;
    };
    const count = (except: Filter | null) => {
      const cond = holds(except);
      return cond ? sql`sum(case when ${cond} then 1 else 0 end)` : sql`count(*)`;
    };
    const conditions = [sql`d.kind = ${kind}`];
    if (match?.where) conditions.push(match.where);
    if (!match && active.size > 0) {
      // Without text, only the documents something counts: all filters hold, or all but the own filter of a facet counted here.
      const minHeld = facetsWanted.some((f) => active.has(FACET_FILTER[f])) ? active.size - 1 : active.size;
      if (minHeld === active.size) conditions.push(...active.values());
      else if (minHeld > 0) conditions.push(sql`${sql.join([...active.values()].map((c) => sql`case when ${c} then 1 else 0 end`), sql` + `)} >= ${minHeld}`);
    }
    // `b` carries only what is read from it (a narrow row keeps a large match in memory); `doc_id` orders
    // like `ref` within one kind.
    const columns = [sql`d.doc_id`, sql`d.category`, sql`${this.tagData} as tag_data`, sql`d.popularity`, sql`d.rating_sum`, sql`d.rating_count`, sql`d.min_host_version`];
    // What the page is sorted by, and only that: the sort carries these for every row of `b`.
    const sortColumns = ['doc_id', 'popularity', 'rating_sum', 'rating_count'];
    if (req.sort === 'downloads' || (req.sort === 'relevance' && !match)) sortColumns.push('name');
    if (req.sort === 'updated') sortColumns.push('updated_at');
    columns.push(...sortColumns.slice(4).map((c) => sql.ref(`d.${c}`)));
    const branches: RawBuilder<unknown>[] = [];
    if (req.limit > 0) {
      const order = this.order(req.sort, match !== null, (name) => sql.ref(name === 'ref' ? 'doc_id' : name));
      // Nested twice: an order by may name `rel` inside an expression only once it is a column.
      branches.push(sql`select 'hit', doc_id, null, null, row_number() over (order by ${order}), null, null, null, null, rel from (
          select * from (select ${sql.join(sortColumns.map((c) => sql.ref(c)))}, coalesce(score / nullif((select best from m), 0), 0) as rel
            from b ${where(null)}) r
          order by ${order} limit ${req.limit} offset ${req.offset}) h`);
    }
    // Total, match count and three facets in one pass: counts by category × host version × rating
    // bucket, each count under the filters its facet applies; the facets are summed up from these groups.
    branches.push(sql`select 'groups', category, min_host_version, bucket, ${count(null)}, count(*), ${count('category')}, ${count('minRating')}, ${count('compatibleWith')}, null
      from (select ${sql.join([sql`category`, sql`min_host_version`, ...[...active.keys()].map((n) => sql.ref(`f_${n}`)), sql`${ratingBucket} as bucket`])} from b) g
      group by category, min_host_version, bucket`);
    if (facetsWanted.includes('tags')) {
      branches.push(sql`select 'tags', tag, null, null, n, null, null, null, null, null from (
          select tag, n from (${this.tagCounts(where('tag'))}) tc order by n desc, tag limit ${TOP_TAGS}) tg`);
    }
    // `m`, the best score, is read once: as a scalar subquery of `b` the planner computed it once per
    // use, and joined it rescanned `b` for every row of the page's set (seconds with a tag filter).
    const statement = sql<ResultRow>`with b as materialized (
        select ${sql.join(columns)}, ${match ? match.score : sql`0`} as score ${flags.length > 0 ? sql`, ${sql.join(flags)}` : sql``}
        ${match ? match.from : sql`from ${this.documents} d`} where ${sql.join(conditions, sql` and `)})
      , m as materialized (select max(score) as best from b)
      , r (part, k, k2, k3, n, n_all, n_category, n_rating, n_compat, rel) as (${sql.join(branches, sql` union all `)})
      select * from r`;
    const { rows } = await this.runStatement(statement);

    const hits: { docId: string; position: number; rel: number }[] = [];
    let total = 0;
    let matched = 0;
    const facets = emptyFacets();
    const wanted = new Set(facetsWanted);
    for (const row of rows) {
      const n = Number(row.n);
      if (row.part === 'hit') hits.push({ docId: row.k!, position: n, rel: Number(row.rel) });
      else if (row.part === 'tags') facets.tags[row.k!] = n;
      else {
        total += n;
        matched += Number(row.n_all);
        const [inCategory, inRating, inCompat] = [Number(row.n_category), Number(row.n_rating), Number(row.n_compat)];
        if (wanted.has('categories') && row.k !== null && inCategory > 0) facets.categories[row.k] = (facets.categories[row.k] ?? 0) + inCategory;
        if (wanted.has('compatibility') && inCompat > 0) facets.compatibility[row.k2 ?? 'any'] = (facets.compatibility[row.k2 ?? 'any'] ?? 0) + inCompat;
        if (wanted.has('rating')) {
          // Buckets hold each listing once, by the whole stars of its average; the facet is cumulative.
          const stars = row.k3 === 'unrated' ? 0 : Number(row.k3);
          if (stars === 0) facets.rating.unrated += inRating;
          for (const [label, min] of [['4+', 4], ['3+', 3], ['2+', 2], ['1+', 1]] as const) if (stars >= min) facets.rating[label] += inRating;
        }
      }
    }
    return { hits: await this.hitsOf(hits), total, matched, facets };
  }

  private async hitsOf(page: { docId: string; position: number; rel: number }[]): Promise<SearchHit[]> {
    if (page.length === 0) return [];
    const rows = await sql<HitRow>`select d.doc_id, ${hitColumns}, 0 as rel from search_documents d
      where d.doc_id in (${sql.join(page.map((p) => p.docId))})`.execute(this.db);
    const byId = new Map(rows.rows.map((r) => [r.doc_id!, r]));
    return page
      .sort((a, b) => a.position - b.position)
      .flatMap((p) => {
        const row = byId.get(p.docId);
        return row ? [toHit({ ...row, rel: p.rel })] : [];
      });
  }

  /** The active filters as conditions on `d`. */
  private conditions(req: SearchRequest): Map<Filter, RawBuilder<unknown>> {
    const active = new Map<Filter, RawBuilder<unknown>>();
    if (req.category !== undefined) active.set('category', sql`d.category = ${req.category}`);
    if (req.tag !== undefined) active.set('tag', this.hasTag(req.tag));
    if (req.minRating !== undefined && req.minRating > 0) {
      // Average >= minRating without division: sum >= minRating * count (exact for the half-star steps clients send).
      active.set('minRating', sql`d.rating_count > 0 and d.rating_sum * 100 >= ${Math.round(req.minRating * 100)} * d.rating_count`);
    }
    if (req.compatibleWith !== undefined) {
      const key = hostVersionKey(req.compatibleWith);
      active.set('compatibleWith', sql`(d.min_host_key is null or d.min_host_key <= ${key}) and (d.max_host_key is null or d.max_host_key > ${key})`);
    }
    return active;
  }

  /**
   * Relevance sorts by the match score relative to the best match (0..1) in steps of a tenth, then
   * by popularity: popularity decides between results of nearly equal relevance (bm25 and ts_rank
   * differ by a few percent on description length alone), never over a clearly better match.
   * The rating expression is spelt as in the index that serves it (migration 0008).
   */
  private order(sort: SearchRequest['sort'], hasText: boolean, c: (column: string) => RawBuilder<unknown> | ReturnType<typeof sql.ref>): RawBuilder<unknown> {
    switch (sort) {
      case 'downloads':
        return sql`${c('popularity')} desc, ${c('name')}, ${c('ref')}`;
      case 'rating':
        return sql`(case when ${c('rating_count')} = 0 then 0 else ${c('rating_sum')} * 1.0 / ${c('rating_count')} end) desc, ${c('rating_count')} desc, ${c('popularity')} desc, ${c('ref')}`;
      case 'updated':
        return sql`${c('updated_at')} desc, ${c('ref')}`;
      case 'relevance':
        return hasText ? sql`round(rel * 10) desc, ${c('popularity')} desc, rel desc, ${c('ref')}` : sql`${c('popularity')} desc, ${c('name')}, ${c('ref')}`;
    }
  }

  private async generation(): Promise<number> {
    const row = await this.db.selectFrom('search_state').select('generation').where('id', '=', 1).executeTakeFirst();
    return Number(row?.generation ?? 0);
  }
}

/** Every write bumps it in its own transaction, so a cache filled from an older snapshot is never taken for current. */
async function bumpGeneration(trx: Transaction<Database>): Promise<void> {
  await trx.updateTable('search_state').set((eb) => ({ generation: eb('generation', '+', 1) })).where('id', '=', 1).execute();
}

export const documentId = (kind: SearchKind, ref: string) => `${kind}:${ref}`;

const emptyFacets = (): SearchFacets => ({ categories: {}, tags: {}, rating: { '4+': 0, '3+': 0, '2+': 0, '1+': 0, unrated: 0 }, compatibility: {} });

/** The whole stars of the average rating, as text (union columns share one type), or `unrated`. */
const ratingBucket = sql`case when rating_count = 0 then 'unrated' when rating_sum >= 4 * rating_count then '4'
  when rating_sum >= 3 * rating_count then '3' when rating_sum >= 2 * rating_count then '2' else '1' end`;

const hitColumns = sql`d.ref, d.name, d.description, d.category, d.tags, d.package, d.popularity, d.rating_sum, d.rating_count, d.min_host_version, d.updated_at`;

interface HitRow {
  doc_id?: string;
  ref: string;
  name: string;
  description: string;
  category: string | null;
  tags: string;
  package: string | null;
  popularity: number | string;
  rating_sum: number | string;
  rating_count: number | string;
  min_host_version: string | null;
  updated_at: string;
  rel: number | string;
}

function toHit(row: HitRow): SearchHit {
  const count = Number(row.rating_count);
  return {
    id: row.ref,
    name: row.name,
    description: row.description,
    category: row.category,
    tags: JSON.parse(row.tags) as string[],
    package: row.package,
    installs: Number(row.popularity),
    rating: { average: count > 0 ? Math.round((Number(row.rating_sum) / count) * 100) / 100 : null, count },
    minHostVersion: row.min_host_version,
    updatedAt: row.updated_at,
    score: Math.round(Number(row.rel) * 1000) / 1000,
  };
}

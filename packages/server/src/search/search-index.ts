import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { SearchFacets, SearchHit, SearchParams } from '@wharf/core';
import type { Database } from '../storage/schema.js';
import { hostVersionKey, indexText, queryTerms } from './tokens.js';

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

/**
 * The one search interface behind the marketplace search and npm's `/-/v1/search`. Filters, facets,
 * sorting and paging are portable SQL written once here; each engine supplies only the full-text part
 * (indexing the text of a document and turning query terms into a scored set of matches).
 */
export abstract class SearchIndex {
  constructor(protected readonly db: Kysely<Database>) {}

  /** Indexes the text of a document whose row already exists; replaces what was indexed before. */
  protected abstract writeText(trx: Transaction<Database>, docId: string, name: string, keywords: string, description: string): Promise<void>;
  protected abstract deleteText(trx: Transaction<Database>, docId: string): Promise<void>;
  /**
   * `select doc_id, score from …` over the documents matching every term (by prefix, or by its
   * closest indexed words when a term matches nothing); null when nothing can match.
   */
  protected abstract matches(terms: string[]): Promise<RawBuilder<unknown> | null>;

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
    });
  }

  /** Popularity and rating change often and touch no text: no re-indexing. */
  async setCounters(kind: SearchKind, ref: string, counters: { popularity?: number; ratingSum?: number; ratingCount?: number }): Promise<void> {
    const set = {
      ...(counters.popularity !== undefined ? { popularity: counters.popularity } : {}),
      ...(counters.ratingSum !== undefined ? { rating_sum: counters.ratingSum } : {}),
      ...(counters.ratingCount !== undefined ? { rating_count: counters.ratingCount } : {}),
    };
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('search_documents').set(set).where('doc_id', '=', documentId(kind, ref)).execute();
  }

  async remove(kind: SearchKind, ref: string): Promise<void> {
    const docId = documentId(kind, ref);
    await this.db.transaction().execute(async (trx) => {
      await this.deleteText(trx, docId);
      await trx.deleteFrom('search_documents').where('doc_id', '=', docId).execute();
    });
  }

  async has(kind: SearchKind, ref: string): Promise<boolean> {
    return (await this.db.selectFrom('search_documents').select('doc_id').where('doc_id', '=', documentId(kind, ref)).executeTakeFirst()) !== undefined;
  }

  /** One page of hits with the total; facets are a separate call so that npm search does not pay for them. */
  async search(kind: SearchKind, req: SearchRequest): Promise<SearchPage> {
    const terms = queryTerms(req.q);
    const matched = terms.length > 0 ? await this.matches(terms) : null;
    if (!matched && (terms.length > 0 || isOnlySymbols(req.q))) return { hits: [], total: 0 };
    const from = this.source(kind, matched);
    const where = this.filters(req, null);
    const [rows, count] = await Promise.all([
      sql<HitRow>`select d.ref, d.name, d.description, d.category, d.tags, d.package, d.popularity, d.rating_sum, d.rating_count,
          d.min_host_version, d.updated_at, ${matched ? sql`m.rel` : sql`0`} as rel
        ${from} ${where} order by ${this.order(req.sort, matched !== null)} limit ${req.limit} offset ${req.offset}`.execute(this.db),
      sql<{ n: number | string }>`select count(*) as n ${from} ${where}`.execute(this.db),
    ]);
    return { hits: rows.rows.map(toHit), total: Number(count.rows[0]?.n ?? 0) };
  }

  /**
   * Facet counts over the matches. Each facet ignores its own filter (and only its own), so that
   * choosing a category still shows how many results the other categories would give.
   */
  async facets(kind: SearchKind, req: SearchRequest): Promise<SearchFacets> {
    const terms = queryTerms(req.q);
    const matched = terms.length > 0 ? await this.matches(terms) : null;
    const empty: SearchFacets = { categories: {}, tags: {}, rating: { '4+': 0, '3+': 0, '2+': 0, '1+': 0, unrated: 0 }, compatibility: {} };
    if (!matched && (terms.length > 0 || isOnlySymbols(req.q))) return empty;
    const from = this.source(kind, matched);
    const [categories, tags, rating, compatibility] = await Promise.all([
      sql<{ k: string | null; n: number | string }>`select d.category as k, count(*) as n ${from} ${this.filters(req, 'category')} group by d.category`.execute(this.db),
      sql<{ k: string; n: number | string }>`select t.tag as k, count(*) as n ${this.source(kind, matched, true)} ${this.filters(req, 'tag')}
        group by t.tag order by count(*) desc, t.tag limit 30`.execute(this.db),
      sql<Record<'r4' | 'r3' | 'r2' | 'r1' | 'unrated', number | string | null>>`select
          sum(case when d.rating_count > 0 and d.rating_sum >= 4 * d.rating_count then 1 else 0 end) as r4,
          sum(case when d.rating_count > 0 and d.rating_sum >= 3 * d.rating_count then 1 else 0 end) as r3,
          sum(case when d.rating_count > 0 and d.rating_sum >= 2 * d.rating_count then 1 else 0 end) as r2,
          sum(case when d.rating_count > 0 then 1 else 0 end) as r1,
          sum(case when d.rating_count = 0 then 1 else 0 end) as unrated
        ${from} ${this.filters(req, 'minRating')}`.execute(this.db),
      sql<{ k: string | null; n: number | string }>`select d.min_host_version as k, count(*) as n ${from} ${this.filters(req, 'compatibleWith')} group by d.min_host_version`.execute(this.db),
    ]);
    const r = rating.rows[0];
    for (const row of categories.rows) if (row.k !== null) empty.categories[row.k] = Number(row.n);
    for (const row of tags.rows) empty.tags[row.k] = Number(row.n);
    if (r) empty.rating = { '4+': Number(r.r4 ?? 0), '3+': Number(r.r3 ?? 0), '2+': Number(r.r2 ?? 0), '1+': Number(r.r1 ?? 0), unrated: Number(r.unrated ?? 0) };
    for (const row of compatibility.rows) {
      const key = row.k ?? 'any';
      empty.compatibility[key] = (empty.compatibility[key] ?? 0) + Number(row.n);
    }
    return empty;
  }

  /** `from … where d.kind = …`, with the tag table joined in for the tag facet. */
  private source(kind: SearchKind, matched: RawBuilder<unknown> | null, withTags = false): RawBuilder<unknown> {
    const base = matched ? sql`from (${matched}) m join search_documents d on d.doc_id = m.doc_id` : sql`from search_documents d`;
    return sql`${base} ${withTags ? sql`join search_tags t on t.doc_id = d.doc_id` : sql``} where d.kind = ${kind}`;
  }

  /** The filters as `and …` clauses, leaving out `except` (the facet being counted). */
  private filters(req: SearchRequest, except: 'category' | 'tag' | 'minRating' | 'compatibleWith' | null): RawBuilder<unknown> {
    const clauses: RawBuilder<unknown>[] = [];
    if (req.category !== undefined && except !== 'category') clauses.push(sql`d.category = ${req.category}`);
    if (req.tag !== undefined && except !== 'tag') clauses.push(sql`exists (select 1 from search_tags ft where ft.doc_id = d.doc_id and ft.tag = ${req.tag})`);
    if (req.minRating !== undefined && req.minRating > 0 && except !== 'minRating') {
      // Average >= minRating without division: sum >= minRating * count (exact for the half-star steps clients send).
      clauses.push(sql`d.rating_count > 0 and d.rating_sum * 100 >= ${Math.round(req.minRating * 100)} * d.rating_count`);
    }
    if (req.compatibleWith !== undefined && except !== 'compatibleWith') {
      clauses.push(sql`(d.min_host_key is null or d.min_host_key <= ${hostVersionKey(req.compatibleWith)})`);
    }
    return clauses.length === 0 ? sql`` : sql`and ${sql.join(clauses, sql` and `)}`;
  }

  /**
   * Relevance sorts by the match score relative to the best match (0..1) in steps of a tenth, then
   * by popularity: popularity decides between results of nearly equal relevance (bm25 and ts_rank
   * differ by a few percent on description length alone), never over a clearly better match.
   */
  private order(sort: SearchRequest['sort'], hasText: boolean): RawBuilder<unknown> {
    const rating = sql`case when d.rating_count = 0 then 0 else d.rating_sum * 1.0 / d.rating_count end`;
    switch (sort) {
      case 'downloads':
        return sql`d.popularity desc, d.name, d.ref`;
      case 'rating':
        return sql`${rating} desc, d.rating_count desc, d.popularity desc, d.ref`;
      case 'updated':
        return sql`d.updated_at desc, d.ref`;
      case 'relevance':
        return hasText ? sql`round(m.rel * 10) desc, d.popularity desc, m.rel desc, d.ref` : sql`d.popularity desc, d.name, d.ref`;
    }
  }
}

/** Text that is not blank but has no word in it (`%_%`, `"*`) matches nothing; blank text browses everything. */
const isOnlySymbols = (q: string) => q.trim() !== '';

export const documentId = (kind: SearchKind, ref: string) => `${kind}:${ref}`;

interface HitRow {
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

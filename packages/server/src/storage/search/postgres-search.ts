import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { SearchIndex, type QueryTerm, type TextMatch } from './search-index.js';

/**
 * Full text on PostgreSQL: a tsvector weighted A (name), B (keywords), C (description) under a GIN
 * index, ranked by cover density (ts_rank_cd; plain ts_rank scores AND queries erratically, a
 * listing with both words in its name below one with a word only in its description). Candidates for
 * typo correction come from the search_terms word list (a btree range by first letter: the trigram
 * lookup it replaces was planned as a scan of the whole list).
 *
 * The statement reads `search_match` (migration 0010), a narrow copy of `search_documents` that a
 * trigger keeps; this class writes its text part: the vector and the tags as ids of `search_tag_ids`.
 */
export class PostgresSearchIndex extends SearchIndex {
  protected async writeText(trx: Transaction<Database>, docId: string, name: string, keywords: string, description: string): Promise<void> {
    // Only tags never seen: `on conflict do nothing` alone would draw an identity value for every tag of every write.
    await sql`insert into search_tag_ids (tag) select s.tag from search_tags s where s.doc_id = ${docId}
        and not exists (select 1 from search_tag_ids t where t.tag = s.tag) on conflict do nothing`.execute(trx);
    await sql`update search_match set search_vector =
        setweight(to_tsvector('simple', ${name}), 'A') || setweight(to_tsvector('simple', ${keywords}), 'B') || setweight(to_tsvector('simple', ${description}), 'C'),
        tag_ids = array(select t.id from search_tags s join search_tag_ids t on t.tag = s.tag where s.doc_id = ${docId})
      where doc_id = ${docId}`.execute(trx);
    const terms = [...new Set(`${name} ${keywords} ${description}`.split(' ').filter((w) => w.length > 3))];
    // Words are never removed: a word no document has any more only yields a correction that matches nothing.
    if (terms.length > 0) await sql`insert into search_terms (term) select unnest(${terms}::text[]) on conflict do nothing`.execute(trx);
  }

  /**
   * The matched set is materialised once and read by every facet: at the default 4 MB of work_mem a
   * 20,000-row match spills to a temporary file. 32 MB for this one statement (SET LOCAL, so the pool's
   * other queries keep the server's setting) took p95 from 95 to 76 ms on 100,000 listings.
   *
   * No JIT: at 100,000 listings no search statement reaches jit_above_cost (100,000 by default; the
   * costliest, the aggregate of all documents behind browsing, is estimated at 37,000), but that one
   * grows linearly with the index and would cross it at about 270,000. Forced on at 100,000, JIT added
   * 17-25 ms to each statement, 265-410 ms once inlining and optimisation apply, and saved nothing.
   * Both settings in one round trip (set_config with is_local: as SET LOCAL).
   */
  protected override runStatement<R>(statement: RawBuilder<R>): Promise<{ rows: R[] }> {
    return this.db.transaction().execute(async (trx) => {
      await sql`select set_config('work_mem', '32MB', true), set_config('jit', 'off', true)`.execute(trx);
      return statement.execute(trx);
    });
  }

  protected async deleteText(): Promise<void> {
    // The vector lives in the document's row of search_match, which deleting the document cascades to.
  }

  protected textMatch(terms: readonly QueryTerm[]): TextMatch {
    // Terms are letters and digits only (tokens.ts), quoted: the tsquery carries no user syntax.
    const query = terms.map((t) => ('prefix' in t ? `'${t.prefix}':*` : `(${t.words.map((w) => `'${w}'`).join(' | ')})`)).join(' & ');
    return {
      from: sql`from search_match d cross join to_tsquery('simple', ${query}) q`,
      where: sql`d.search_vector @@ q`,
      score: sql`ts_rank_cd(d.search_vector, q)`,
    };
  }

  protected async hasPrefixMatch(term: string): Promise<boolean> {
    // Not `select … limit 1`: expecting an early hit, the planner scans the table, which for a word in
    // no document means every row (60 ms at 100,000). The CTE is planned for all rows (a bitmap from
    // the GIN index, empty at once for such a word) and read only up to its first row.
    const res = await sql`with m as materialized (select 1 from search_match where search_vector @@ to_tsquery('simple', ${`'${term}':*`}))
      select 1 from m limit 1`.execute(this.db);
    return res.rows.length > 0;
  }

  protected async wordsLike(first: string, minLength: number, maxLength: number): Promise<string[]> {
    const next = String.fromCodePoint(first.codePointAt(0)! + 1);
    const res = await sql<{ term: string }>`select term from search_terms where term >= ${first} and term < ${next}
      and length(term) between ${minLength} and ${maxLength}`.execute(this.db);
    return res.rows.map((r) => r.term);
  }

  protected readonly documents = sql`search_match`;

  protected readonly tagData = sql`d.tag_ids`;

  protected tagCounts(where: RawBuilder<unknown>): RawBuilder<unknown> {
    // The tag ids are in the materialised row already: expanding them beats a join to search_tags, and
    // a set-returning function in the select list costs about half of the same function joined
    // laterally. Counted by id; only the counted tags are named.
    return sql`select t.tag, c.n from (select id, count(*) as n from (select unnest(b.tag_data) as id from b ${where}) u group by id) c
      join search_tag_ids t on t.id = c.id`;
  }

  protected hasTag(tag: string): RawBuilder<unknown> {
    // The id is looked up once (an init plan); testing each match's array beat probing search_tags for
    // it (hashed `doc_id in …`): 48 -> 42 ms for a one-word query with a tag filter at 100,000 listings.
    return sql`(select t.id from search_tag_ids t where t.tag = ${tag}) = any(d.tag_ids)`;
  }
}

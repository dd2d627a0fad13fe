import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { SearchIndex, type QueryTerm, type TextMatch } from './search-index.js';

/**
 * Full text on PostgreSQL: a tsvector weighted A (name), B (keywords), C (description) under a GIN
 * index, ranked by cover density (ts_rank_cd; plain ts_rank scores AND queries erratically, a
 * listing with both words in its name below one with a word only in its description). The vocabulary
 * for typo correction is the search_terms word list.
 */
export class PostgresSearchIndex extends SearchIndex {
  protected async writeText(trx: Transaction<Database>, docId: string, name: string, keywords: string, description: string): Promise<void> {
    await sql`update search_documents set search_vector =
        setweight(to_tsvector('simple', ${name}), 'A') || setweight(to_tsvector('simple', ${keywords}), 'B') || setweight(to_tsvector('simple', ${description}), 'C'),
        tag_list = array(select json_array_elements_text(tags::json))
      where doc_id = ${docId}`.execute(trx);
    const terms = [...new Set(`${name} ${keywords} ${description}`.split(' ').filter((w) => w.length > 3))];
    // Words are never removed: a word no document has any more only yields a correction that matches nothing.
    if (terms.length > 0) await sql`insert into search_terms (term) select unnest(${terms}::text[]) on conflict do nothing`.execute(trx);
  }

  protected async deleteText(): Promise<void> {
    // The vector lives in the document's row, which the caller deletes.
  }

  protected textMatch(terms: readonly QueryTerm[]): TextMatch {
    // Terms are letters and digits only (tokens.ts), quoted: the tsquery carries no user syntax.
    const query = terms.map((t) => ('prefix' in t ? `'${t.prefix}':*` : `(${t.words.map((w) => `'${w}'`).join(' | ')})`)).join(' & ');
    return {
      from: sql`from search_documents d cross join to_tsquery('simple', ${query}) q`,
      where: sql`d.search_vector @@ q`,
      score: sql`ts_rank_cd(d.search_vector, q)`,
    };
  }

  protected async hasPrefixMatch(term: string): Promise<boolean> {
    const res = await sql`select 1 from search_documents where search_vector @@ to_tsquery('simple', ${`'${term}':*`}) limit 1`.execute(this.db);
    return res.rows.length > 0;
  }

  protected async vocabulary(): Promise<string[]> {
    return (await sql<{ term: string }>`select term from search_terms`.execute(this.db)).rows.map((r) => r.term);
  }

  protected readonly tagData = sql`d.tag_list`;

  protected tagRows(where: RawBuilder<unknown>): RawBuilder<unknown> {
    // The tags are in the materialised row already (an array: unnesting costs about half of parsing
    // JSON): expanding them beats a join to search_tags, and a set-returning function in the select
    // list costs about half of the same function joined laterally.
    return sql`select unnest(b.tag_data) as tag from b ${where}`;
  }
}

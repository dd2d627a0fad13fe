import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { SearchIndex } from './search-index.js';
import { corrections } from './tokens.js';

/**
 * Full text on PostgreSQL: a tsvector weighted A (name), B (keywords), C (description) under a GIN
 * index, ranked by cover density (ts_rank_cd; plain ts_rank scores AND queries erratically, a
 * listing with both words in its name below one with a word only in its description). Typo
 * tolerance: a term that matches nothing, not even as a prefix, is replaced by the indexed words
 * pg_trgm finds similar (search_terms, GIN trigram index), kept only within its edit-distance budget.
 */
export class PostgresSearchIndex extends SearchIndex {
  protected async writeText(trx: Transaction<Database>, docId: string, name: string, keywords: string, description: string): Promise<void> {
    await sql`update search_documents set search_vector =
        setweight(to_tsvector('simple', ${name}), 'A') || setweight(to_tsvector('simple', ${keywords}), 'B') || setweight(to_tsvector('simple', ${description}), 'C')
      where doc_id = ${docId}`.execute(trx);
    const terms = [...new Set(`${name} ${keywords} ${description}`.split(' ').filter((w) => w.length > 3))];
    // Words are never removed: a word no document has any more only yields a correction that matches nothing.
    if (terms.length > 0) await sql`insert into search_terms (term) select unnest(${terms}::text[]) on conflict do nothing`.execute(trx);
  }

  protected async deleteText(): Promise<void> {
    // The vector lives in the document's row, which the caller deletes.
  }

  protected async matches(terms: string[]): Promise<RawBuilder<unknown> | null> {
    const groups: string[] = [];
    for (const term of terms) {
      if (await this.hasPrefixMatch(term)) {
        groups.push(`'${term}':*`);
        continue;
      }
      const fixes = corrections(term, await this.similarWords(term));
      if (fixes.length === 0) return null;
      groups.push(`(${fixes.map((w) => `'${w}'`).join(' | ')})`);
    }
    // Terms are letters and digits only (tokens.ts), quoted: the tsquery carries no user syntax.
    const query = sql`to_tsquery('simple', ${groups.join(' & ')})`;
    return sql`select s.doc_id, coalesce(s.score / nullif(max(s.score) over (), 0), 0) as rel
      from (select doc_id, ts_rank_cd(search_vector, ${query}) as score from search_documents where search_vector @@ ${query}) s`;
  }

  private async hasPrefixMatch(term: string): Promise<boolean> {
    const res = await sql`select 1 from search_documents where search_vector @@ to_tsquery('simple', ${`'${term}':*`}) limit 1`.execute(this.db);
    return res.rows.length > 0;
  }

  private async similarWords(term: string): Promise<string[]> {
    const res = await sql<{ term: string }>`select term from search_terms where term % ${term} order by similarity(term, ${term}) desc limit 20`.execute(this.db);
    return res.rows.map((r) => r.term);
  }
}

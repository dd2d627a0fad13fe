import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { SearchIndex } from './search-index.js';
import { corrections } from './tokens.js';

/**
 * Full text on SQLite: an FTS5 table ranked by bm25 with column weights name 10, keywords 4,
 * description 1. Typo tolerance without spellfix: a term that matches nothing, not even as a prefix,
 * is replaced by the indexed words (read from the fts5vocab table) within its edit-distance budget
 * that share its first letter.
 */
export class SqliteSearchIndex extends SearchIndex {
  protected async writeText(trx: Transaction<Database>, docId: string, name: string, keywords: string, description: string): Promise<void> {
    await this.deleteText(trx, docId);
    const inserted = await sql`insert into search_fts (doc_id, name, keywords, description) values (${docId}, ${name}, ${keywords}, ${description})`.execute(trx);
    await trx.updateTable('search_documents').set({ text_id: Number(inserted.insertId) }).where('doc_id', '=', docId).execute();
  }

  protected async deleteText(trx: Transaction<Database>, docId: string): Promise<void> {
    const row = await trx.selectFrom('search_documents').select('text_id').where('doc_id', '=', docId).executeTakeFirst();
    if (row?.text_id != null) await sql`delete from search_fts where rowid = ${row.text_id}`.execute(trx);
  }

  protected async matches(terms: string[]): Promise<RawBuilder<unknown> | null> {
    const groups: string[] = [];
    for (const term of terms) {
      if (await this.hasPrefixMatch(term)) {
        groups.push(`"${term}"*`);
        continue;
      }
      const fixes = corrections(term, await this.wordsLike(term));
      if (fixes.length === 0) return null;
      groups.push(`(${fixes.map((w) => `"${w}"`).join(' OR ')})`);
    }
    // Terms are letters and digits only (tokens.ts), quoted: the expression carries no user syntax.
    const expression = groups.join(' AND ');
    return sql`select d.doc_id as doc_id, coalesce(s.score / nullif(max(s.score) over (), 0), 0) as rel
      from (select rowid as text_id, -bm25(search_fts, 0.0, 10.0, 4.0, 1.0) as score from search_fts where search_fts match ${expression}) s
      join search_documents d on d.text_id = s.text_id`;
  }

  private async hasPrefixMatch(term: string): Promise<boolean> {
    const res = await sql`select 1 from search_fts where search_fts match ${`"${term}"*`} limit 1`.execute(this.db);
    return res.rows.length > 0;
  }

  /** Indexed words starting with the term's first letter and of a length its typo budget allows. */
  private async wordsLike(term: string): Promise<string[]> {
    const first = term[0]!;
    const next = String.fromCodePoint(first.codePointAt(0)! + 1);
    const res = await sql<{ term: string }>`select term from search_vocab where term >= ${first} and term < ${next}
      and length(term) between ${term.length - 2} and ${term.length + 2}`.execute(this.db);
    return res.rows.map((r) => r.term);
  }
}

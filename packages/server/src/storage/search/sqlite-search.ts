import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { SearchIndex, type QueryTerm, type TextMatch } from './search-index.js';

/**
 * Full text on SQLite: an FTS5 table ranked by bm25 with column weights name 10, keywords 4,
 * description 1. Typo tolerance without spellfix: candidate words come from the fts5vocab table.
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

  protected textMatch(terms: readonly QueryTerm[]): TextMatch {
    // Terms are letters and digits only (tokens.ts), quoted: the expression carries no user syntax.
    const expression = terms.map((t) => ('prefix' in t ? `"${t.prefix}"*` : `(${t.words.map((w) => `"${w}"`).join(' OR ')})`)).join(' AND ');
    return {
      from: sql`from (select rowid as text_id, -bm25(search_fts, 0.0, 10.0, 4.0, 1.0) as score from search_fts where search_fts match ${expression}) s
        join search_documents d on d.text_id = s.text_id`,
      where: null,
      score: sql`s.score`,
    };
  }

  protected async hasPrefixMatch(term: string): Promise<boolean> {
    const res = await sql`select 1 from search_fts where search_fts match ${`"${term}"*`} limit 1`.execute(this.db);
    return res.rows.length > 0;
  }

  protected async wordsLike(first: string, minLength: number, maxLength: number): Promise<string[]> {
    const next = String.fromCodePoint(first.codePointAt(0)! + 1);
    const res = await sql<{ term: string }>`select term from search_vocab where term >= ${first} and term < ${next}
      and length(term) between ${minLength} and ${maxLength}`.execute(this.db);
    return res.rows.map((r) => r.term);
  }

  protected readonly documents = sql`search_documents`;

  protected readonly tagData = sql`null`;

  protected tagCounts(where: RawBuilder<unknown>): RawBuilder<unknown> {
    // CROSS JOIN fixes the order: probing each match's tags, never scanning every tag of the index
    // for the matches (which SQLite otherwise picks as soon as a filter flag narrows `b`).
    return sql`select t.tag as tag, count(*) as n from b cross join search_tags t on t.doc_id = b.doc_id ${where} group by t.tag`;
  }

  protected hasTag(tag: string): RawBuilder<unknown> {
    // `in` rather than `exists`: the tag's documents are read once, not probed once per match.
    return sql`d.doc_id in (select ft.doc_id from search_tags ft where ft.tag = ${tag})`;
  }
}

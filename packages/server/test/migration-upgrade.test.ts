import { expect, it } from 'vitest';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrations } from '../src/storage/migrations/index.js';
import { throwawayPostgres } from './helpers.js';

/**
 * Upgrades of data written by an older layout, where a migration moves data rather than adding
 * empty tables: a database stopped at the migration before, filled as that layout wrote it, then
 * brought up to date.
 */
it('0010 moves the PostgreSQL search index into search_match without losing a document, a vector, a count or a tag, and keeps it in step', async () => {
  const database = await throwawayPostgres();
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
  try {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0009-search-perf')).error).toBeUndefined();
    const docs = [
      { id: 'plugin:com.x.pdf', name: 'PDF Export', tags: ['pdf', 'export'], popularity: 12, ratingSum: 9, ratingCount: 2 },
      { id: 'plugin:com.x.words', name: 'Word Count', tags: [] as string[], popularity: 0, ratingSum: 0, ratingCount: 0 },
      { id: 'package:@x/tables', name: '@x/tables', tags: ['export', 'tables'], popularity: 3, ratingSum: 0, ratingCount: 0 },
    ];
    for (const d of docs) {
      await sql`insert into search_documents (doc_id, kind, ref, name, description, keywords, category, tags, package, popularity, rating_sum, rating_count, min_host_key, min_host_version, max_host_key, updated_at, tag_list, search_vector)
        values (${d.id}, ${d.id.split(':')[0]}, ${d.id.split(':')[1]}, ${d.name}, 'a description', '', 'export', ${JSON.stringify(d.tags)}, null, ${d.popularity}, ${d.ratingSum}, ${d.ratingCount},
          '000001.000000.000000', '1.0.0', null, '2026-01-01T00:00:00.000Z', ${d.tags}::text[], setweight(to_tsvector('simple', ${d.name}), 'A'))`.execute(db);
      for (const tag of d.tags) await sql`insert into search_tags (doc_id, tag) values (${d.id}, ${tag})`.execute(db);
    }
    const vectors = (await sql<{ doc_id: string; v: string }>`select doc_id, search_vector::text as v from search_documents order by doc_id`.execute(db)).rows;

    expect((await migrator.migrateToLatest()).error).toBeUndefined();

    const moved = await sql<{ doc_id: string; popularity: string; rating_sum: number; rating_count: number; min_host_version: string; v: string; tags: string[] }>`
      select m.doc_id, m.popularity, m.rating_sum, m.rating_count, m.min_host_version, m.search_vector::text as v,
        array(select t.tag from unnest(m.tag_ids) i join search_tag_ids t on t.id = i order by t.tag) as tags
      from search_match m order by m.doc_id`.execute(db);
    expect(moved.rows).toEqual(
      [...docs]
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((d) => ({ doc_id: d.id, popularity: String(d.popularity), rating_sum: d.ratingSum, rating_count: d.ratingCount, min_host_version: '1.0.0', v: vectors.find((x) => x.doc_id === d.id)!.v, tags: [...d.tags].sort() })),
    );
    // The moved columns are gone from search_documents; its writes still reach the copy.
    const columns = (await sql<{ column_name: string }>`select column_name from information_schema.columns where table_name = 'search_documents'`.execute(db)).rows.map((r) => r.column_name);
    expect(columns).not.toContain('search_vector');
    expect(columns).not.toContain('tag_list');
    await sql`update search_documents set popularity = 40, rating_sum = 14, rating_count = 3 where doc_id = 'plugin:com.x.pdf'`.execute(db);
    expect((await sql<{ popularity: string; rating_count: number }>`select popularity, rating_count from search_match where doc_id = 'plugin:com.x.pdf'`.execute(db)).rows).toEqual([{ popularity: '40', rating_count: 3 }]);
    await sql`delete from search_documents where doc_id = 'plugin:com.x.words'`.execute(db);
    expect((await sql`select doc_id from search_match where doc_id = 'plugin:com.x.words'`.execute(db)).rows).toEqual([]);
  } finally {
    await db.destroy();
    await database.drop();
  }
});

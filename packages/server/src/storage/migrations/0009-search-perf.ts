import { sql, type Kysely, type Migration } from 'kysely';
import { migrationDialect } from './0006-marketplace.js';

/**
 * Search performance and the host-version upper bound:
 * - `search_state.generation`, bumped by every index write: what the cached facets of all documents
 *   are keyed by, in the database so that replicas see each other's writes;
 * - `search_documents.max_host_key`, the first host version a document no longer supports;
 * - on PostgreSQL, `search_documents.tag_list`, the tags as an array: the tag facet expands the tags of
 *   every match, and unnesting an array costs about half of parsing the JSON column;
 * - indexes for browsing without text, one per sort order, so that the first page is read in order
 *   instead of sorting every document. The rating expression must be spelt as search-index.ts sorts.
 */
export const searchPerformance: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('search_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('generation', 'bigint', (c) => c.notNull())
      .execute();
    await db.insertInto('search_state').values({ id: 1, generation: 0 }).execute();
    await db.schema.alterTable('search_documents').addColumn('max_host_key', 'text').execute();
    await db.schema.createIndex('search_documents_popularity').on('search_documents').columns(['kind', 'popularity desc', 'name', 'ref']).execute();
    await db.schema.createIndex('search_documents_updated').on('search_documents').columns(['kind', 'updated_at desc', 'ref']).execute();
    await sql`create index search_documents_rating on search_documents
      (kind, (case when rating_count = 0 then 0 else rating_sum * 1.0 / rating_count end) desc, rating_count desc, popularity desc, ref)`.execute(db);
    if (migrationDialect(db) === 'postgres') {
      await sql`alter table search_documents add column tag_list text[] not null default '{}'`.execute(db);
      await sql`update search_documents set tag_list = array(select json_array_elements_text(tags::json))`.execute(db);
    }
  },
};

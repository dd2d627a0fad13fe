import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/**
 * Which engine a migration runs on, read from the Kysely adapter: the one place a migration may
 * branch, for engine-specific objects (full-text indexes) that have no portable spelling.
 */
export function migrationDialect(db: Kysely<any>): 'sqlite' | 'postgres' {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Marketplace listings, reviews, moderation reports, opt-in analytics and the search index.
 * The index (`search_documents`, `search_tags`) is portable; its full-text part is engine-specific:
 * an FTS5 table (plus its vocabulary, for typo correction) on SQLite, a weighted tsvector with a GIN
 * index and a trigram-indexed word list on PostgreSQL.
 */
export const marketplaceTables: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('plugins')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('package', 'text', (c) => c.unique())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('homepage', 'text')
      .addColumn('icon', 'text')
      .addColumn('screenshots', 'text', (c) => c.notNull())
      .addColumn('publisher', 'text')
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('installs', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('plugins_state').on('plugins').columns(['state', 'created_at']).execute();
    await db.schema.createIndex('plugins_owner').on('plugins').column('owner_id').execute();
    await db.schema
      .createTable('plugin_reviews')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('plugin_id', 'text', (c) => c.notNull().references('plugins.id').onDelete('cascade'))
      // null once the author erased their account: the review stays, anonymous.
      .addColumn('user_id', 'text')
      .addColumn('rating', 'integer', (c) => c.notNull())
      .addColumn('title', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('hidden', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('plugin_reviews_one_per_user', ['plugin_id', 'user_id'])
      .execute();
    await db.schema.createIndex('plugin_reviews_user').on('plugin_reviews').column('user_id').execute();
    await db.schema
      .createTable('moderation_reports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('plugin_id', 'text', (c) => c.notNull().references('plugins.id').onDelete('cascade'))
      .addColumn('review_id', 'text')
      .addColumn('reporter_id', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('resolution', 'text')
      .addColumn('resolved_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('resolved_at', 'text')
      .execute();
    await db.schema.createIndex('moderation_reports_state').on('moderation_reports').columns(['state', 'created_at']).execute();
    await db.schema
      .createTable('analytics_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('plugin_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text')
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('installs', 'integer', (c) => c.notNull())
      .addColumn('activations', 'integer', (c) => c.notNull())
      .addColumn('errors', 'integer', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('analytics_events_received').on('analytics_events').column('received_at').execute();
    await db.schema
      .createTable('plugin_daily_stats')
      .addColumn('plugin_id', 'text', (c) => c.notNull())
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('installs', 'bigint', (c) => c.notNull())
      .addColumn('activations', 'bigint', (c) => c.notNull())
      .addColumn('errors', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('plugin_daily_stats_pk', ['plugin_id', 'day'])
      .execute();

    await db.schema
      .createTable('search_documents')
      .addColumn('doc_id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('ref', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('keywords', 'text', (c) => c.notNull())
      .addColumn('category', 'text')
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('package', 'text')
      .addColumn('popularity', 'bigint', (c) => c.notNull())
      .addColumn('rating_sum', 'integer', (c) => c.notNull())
      .addColumn('rating_count', 'integer', (c) => c.notNull())
      // Sortable form of the minimum host version (zero-padded MAJOR.MINOR.PATCH); null: any host.
      .addColumn('min_host_key', 'text')
      .addColumn('min_host_version', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      // SQLite only: the rowid of this document's row in search_fts (FTS5 deletes by rowid).
      .addColumn('text_id', 'integer')
      .execute();
    await db.schema.createIndex('search_documents_text').on('search_documents').column('text_id').execute();
    await db.schema.createIndex('search_documents_kind').on('search_documents').columns(['kind', 'category']).execute();
    await db.schema
      .createTable('search_tags')
      .addColumn('doc_id', 'text', (c) => c.notNull().references('search_documents.doc_id').onDelete('cascade'))
      .addColumn('tag', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('search_tags_pk', ['doc_id', 'tag'])
      .execute();
    await db.schema.createIndex('search_tags_tag').on('search_tags').columns(['tag', 'doc_id']).execute();

    if (migrationDialect(db) === 'postgres') {
      // pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
      await sql`create extension if not exists pg_trgm`.execute(db);
      await sql`alter table search_documents add column search_vector tsvector not null default ''::tsvector`.execute(db);
      await sql`create index search_documents_vector on search_documents using gin (search_vector)`.execute(db);
      await db.schema.createTable('search_terms').addColumn('term', 'text', (c) => c.primaryKey()).execute();
      await sql`create index search_terms_trgm on search_terms using gin (term gin_trgm_ops)`.execute(db);
    } else {
      // Text arrives already normalised to space-separated lowercase words (storage/search/tokens.ts).
      await sql`create virtual table search_fts using fts5(doc_id unindexed, name, keywords, description, tokenize = 'unicode61', prefix = '2 3')`.execute(db);
      await sql`create virtual table search_vocab using fts5vocab(search_fts, row)`.execute(db);
    }
  },
};

import type { Kysely, Migration } from 'kysely';

/**
 * Marketplace sources: versioned app config documents (the source configuration is one key), the
 * fleet's aggregated opt-in counts per source and day, and the server's latest probe of each source.
 */
export const sourceTables: Migration = {
  async up(db: Kysely<any>) {
    // Insert-only; the current document of a key is its highest version.
    await db.schema
      .createTable('app_config_versions')
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('app_config_versions_pk', ['key', 'version'])
      .execute();
    await db.schema
      .createTable('source_stats')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('requests', 'bigint', (c) => c.notNull())
      .addColumn('errors', 'bigint', (c) => c.notNull())
      .addColumn('rate_limited', 'bigint', (c) => c.notNull())
      .addColumn('fallbacks', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('source_stats_pk', ['source', 'day'])
      .execute();
    await db.schema
      .createTable('source_probes')
      .addColumn('source', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('ok', 'integer', (c) => c.notNull())
      .addColumn('status', 'integer')
      .addColumn('latency_ms', 'integer')
      .addColumn('error', 'text')
      .addColumn('checked_at', 'text', (c) => c.notNull())
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull())
      .execute();
  },
};

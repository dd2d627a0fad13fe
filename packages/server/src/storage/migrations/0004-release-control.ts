import type { Kysely, Migration } from 'kysely';

/**
 * Release control: the tamper-evident audit log, configuration snapshots, the version gate and
 * staged rollouts with their aggregated client reports.
 */
export const releaseControlTables: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('audit_log')
      // Assigned by the writer under a lock, not by the database: the chain needs gapless numbers.
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('before', 'text', (c) => c.notNull())
      .addColumn('after', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target', 'seq']).execute();
    // Working copies (stage 'schema', 'draft', 'preview'): one row each, overwritten.
    await db.schema
      .createTable('config_stages')
      .addColumn('stage', 'text', (c) => c.primaryKey())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    // Published versions: insert-only; the current one is the highest version.
    await db.schema
      .createTable('config_versions')
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('published_at', 'text', (c) => c.notNull())
      .addColumn('published_by', 'text', (c) => c.notNull())
      .addColumn('rollback_of', 'integer')
      .execute();
    // The version gate's policy: a single row keyed 'current'.
    await db.schema
      .createTable('release_policy')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('policy', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('rollouts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('plugin', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('previous_version', 'text')
      // Hundredths of a percent (0..10000) and basis points: integers keep both backends exact.
      .addColumn('percentage_bp', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('error_threshold_bp', 'integer', (c) => c.notNull())
      .addColumn('min_sample', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rollouts_channel').on('rollouts').columns(['plugin', 'channel', 'created_at']).execute();
    // Aggregated, anonymous health counters per plugin version (opt-in SDK reports).
    await db.schema
      .createTable('version_health')
      .addColumn('plugin', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('activations', 'bigint', (c) => c.notNull())
      .addColumn('errors', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('version_health_pk', ['plugin', 'version'])
      .execute();
  },
};

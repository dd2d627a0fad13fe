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
  },
};

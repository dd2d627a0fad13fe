import type { Kysely, Migration } from 'kysely';

/**
 * Signed catalog versions. The primary key is what keeps `version` monotonic across replicas: two
 * replicas issuing the same next version collide and the loser serves the winner's row.
 */
export const catalogTables: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('catalog_versions')
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('expires', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
};

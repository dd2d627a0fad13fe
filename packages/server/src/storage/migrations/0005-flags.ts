import type { Kysely, Migration } from 'kysely';

/**
 * Flag set revisions: every change appends the whole set (definition in Unleash's client-features
 * format plus the kill switches) under the next revision number. A set is small, a row per change
 * gives history for free, and the primary key makes two concurrent writers collide instead of
 * silently overwriting each other.
 */
export const flagTables: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('flag_revisions')
      .addColumn('revision', 'integer', (c) => c.primaryKey())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('forced_off', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .execute();
  },
};

import type { Kysely, Migration } from 'kysely';

/**
 * `deltas`: one row per version pair a delta was built for. `offered` is 0 when the delta came out
 * at 60 % of the full tarball or more: the row stays, so the pair is not built again, and no client
 * is pointed at it. The bytes are a blob like a tarball (content-addressed by sha512).
 */
export const deltaTables: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('deltas')
      .addColumn('package', 'text', (c) => c.notNull())
      .addColumn('from_version', 'text', (c) => c.notNull())
      .addColumn('to_version', 'text', (c) => c.notNull())
      .addColumn('offered', 'integer', (c) => c.notNull())
      .addColumn('blob_key', 'text')
      .addColumn('length', 'integer', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('full_length', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('deltas_pk', ['package', 'from_version', 'to_version'])
      .execute();
  },
};

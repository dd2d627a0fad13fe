import type { Kysely, Migration } from 'kysely';

/**
 * `setup_tokens`: the one-time token that lets the first admin account be created (`wharf serve`
 * prints it while no admin exists). One row per purpose, so a new token replaces the last one and
 * consuming it is a single-row delete that concurrent callers serialize on.
 */
export const setupTokens: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('setup_tokens')
      .addColumn('purpose', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
};

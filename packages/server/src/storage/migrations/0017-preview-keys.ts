import type { Kysely, Migration } from 'kysely';

/**
 * `config_stages.preview_key`: the secret part of the preview link (`/api/v1/snapshots/preview/<key>`),
 * made anew at each promotion so that a link handed to testers stops working when the preview moves on.
 */
export const previewKeys: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('config_stages').addColumn('preview_key', 'text').execute();
  },
};

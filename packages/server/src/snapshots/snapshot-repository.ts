import type { Kysely, Selectable } from 'kysely';
import type { ConfigStagesTable, ConfigVersionsTable, Database } from '../storage/schema.js';

export type StageName = 'schema' | 'draft' | 'preview';
export type StageRow = Selectable<ConfigStagesTable>;
export type VersionRow = Selectable<ConfigVersionsTable>;

/** SQL of config snapshots. Published versions are only ever inserted. */
export class SnapshotRepository {
  constructor(readonly db: Kysely<Database>) {}

  async stage(db: Kysely<Database>, stage: StageName): Promise<StageRow | null> {
    return (await db.selectFrom('config_stages').selectAll().where('stage', '=', stage).executeTakeFirst()) ?? null;
  }

  async putStage(db: Kysely<Database>, row: StageRow): Promise<void> {
    await db
      .insertInto('config_stages')
      .values(row)
      .onConflict((oc) => oc.column('stage').doUpdateSet({ document: row.document, updated_at: row.updated_at, updated_by: row.updated_by, preview_key: row.preview_key }))
      .execute();
  }

  async previewByKey(key: string): Promise<StageRow | null> {
    return (await this.db.selectFrom('config_stages').selectAll().where('stage', '=', 'preview').where('preview_key', '=', key).executeTakeFirst()) ?? null;
  }

  async current(db: Kysely<Database>): Promise<VersionRow | null> {
    return (await db.selectFrom('config_versions').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst()) ?? null;
  }

  async version(db: Kysely<Database>, version: number): Promise<VersionRow | null> {
    return (await db.selectFrom('config_versions').selectAll().where('version', '=', version).executeTakeFirst()) ?? null;
  }

  /** Fails with a unique violation when another publish took the same number first. */
  async insertVersion(db: Kysely<Database>, row: VersionRow): Promise<void> {
    await db.insertInto('config_versions').values(row).execute();
  }

  async history(): Promise<Omit<VersionRow, 'document'>[]> {
    return this.db.selectFrom('config_versions').select(['version', 'content_hash', 'published_at', 'published_by', 'rollback_of']).orderBy('version', 'desc').execute();
  }
}

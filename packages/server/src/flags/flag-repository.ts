import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, FlagRevisionsTable } from '../storage/schema.js';

export type FlagRevisionRow = Selectable<FlagRevisionsTable>;

/** The flag set's revisions: read the latest, append the next. */
export class FlagRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async latest(trx: Kysely<Database> | Transaction<Database> = this.db): Promise<FlagRevisionRow | null> {
    return (await trx.selectFrom('flag_revisions').selectAll().orderBy('revision', 'desc').limit(1).executeTakeFirst()) ?? null;
  }

  /** Fails with a unique violation when another writer took this revision first. */
  async append(trx: Transaction<Database>, row: FlagRevisionRow): Promise<void> {
    await trx.insertInto('flag_revisions').values(row).execute();
  }
}

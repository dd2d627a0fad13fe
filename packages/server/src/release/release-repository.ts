import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';

const ROW = 'current';

/** The version gate's policy: one row, as JSON. */
export class ReleaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async policy(db: Kysely<Database> | Transaction<Database> = this.db): Promise<string | null> {
    return (await db.selectFrom('release_policy').select('policy').where('id', '=', ROW).executeTakeFirst())?.policy ?? null;
  }

  async setPolicy(trx: Transaction<Database>, policy: string, at: string, actor: string): Promise<void> {
    await trx
      .insertInto('release_policy')
      .values({ id: ROW, policy, updated_at: at, updated_by: actor })
      .onConflict((oc) => oc.column('id').doUpdateSet({ policy, updated_at: at, updated_by: actor }))
      .execute();
  }
}

import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';

/** Accounts as the role screen sees them: list, read one's role, change it. */
export class RoleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(db: Kysely<Database> = this.db) {
    return db.selectFrom('users').select(['name', 'role', 'created_at']).orderBy('created_at').orderBy('name').execute();
  }

  async byName(trx: Transaction<Database>, name: string): Promise<{ id: string; role: string } | null> {
    return (await trx.selectFrom('users').select(['id', 'role']).where('name', '=', name).executeTakeFirst()) ?? null;
  }

  async setRole(trx: Transaction<Database>, userId: string, role: string): Promise<void> {
    await trx.updateTable('users').set({ role }).where('id', '=', userId).execute();
  }
}

import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { UserRow } from '../storage/auth-repository.js';

const PURPOSE = 'admin';

/** The one-time setup token (its hash) and the first admin account. */
export class SetupRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async hasAdmin(db: Kysely<Database> | Transaction<Database> = this.db): Promise<boolean> {
    return (await db.selectFrom('users').select('id').where('role', '=', 'admin').limit(1).executeTakeFirst()) !== undefined;
  }

  /** Stores a token's hash, replacing any earlier one. */
  async putToken(tokenHash: string, at: string): Promise<void> {
    await this.db
      .insertInto('setup_tokens')
      .values({ purpose: PURPOSE, token_hash: tokenHash, created_at: at })
      .onConflict((oc) => oc.column('purpose').doUpdateSet({ token_hash: tokenHash, created_at: at }))
      .execute();
  }

  /** Deletes the token when its hash matches: true when this caller consumed it. */
  async consumeToken(trx: Transaction<Database>, tokenHash: string): Promise<boolean> {
    const result = await trx.deleteFrom('setup_tokens').where('purpose', '=', PURPOSE).where('token_hash', '=', tokenHash).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Fails with a unique violation when the name is taken. */
  async insertUser(trx: Transaction<Database>, user: UserRow): Promise<void> {
    await trx.insertInto('users').values(user).execute();
  }
}

import type { Kysely, Selectable } from 'kysely';
import type { Database, TokensTable, UsersTable } from './schema.js';
import { isUniqueViolation } from './database.js';

export type UserRow = Selectable<UsersTable>;
export type TokenRow = Selectable<TokensTable>;

/** Users and their tokens. Returns null for "not there"; `createUser` returns false on a taken name. */
export class AuthRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async createUser(user: UserRow): Promise<boolean> {
    try {
      await this.db.insertInto('users').values(user).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async getUserByName(name: string): Promise<UserRow | null> {
    return (await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst()) ?? null;
  }

  async getUserById(id: string): Promise<UserRow | null> {
    return (await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async createToken(token: TokenRow): Promise<void> {
    await this.db.insertInto('tokens').values(token).execute();
  }

  async findToken(tokenHash: string): Promise<{ token: TokenRow; user: UserRow } | null> {
    const row = await this.db
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
      .selectAll('tokens')
      .select(['users.name as user_name', 'users.email as user_email', 'users.role as user_role', 'users.password_hash as user_password_hash', 'users.created_at as user_created_at'])
      .where('tokens.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row) return null;
    const { user_name, user_email, user_role, user_password_hash, user_created_at, ...token } = row;
    return {
      token,
      user: { id: token.user_id, name: user_name, email: user_email, role: user_role, password_hash: user_password_hash, created_at: user_created_at },
    };
  }

  async listTokens(userId: string): Promise<TokenRow[]> {
    return this.db.selectFrom('tokens').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
  }

  /** Deletes by public key or by the secret's hash (npm revokes by either); true when one went. */
  async deleteToken(userId: string, keyOrHash: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('tokens')
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('key', '=', keyOrHash), eb('token_hash', '=', keyOrHash)]))
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}

import type { Kysely, Migration } from 'kysely';

/**
 * `tokens.role`: the role a token is scoped to, null for a token that acts with its user's role. The
 * token acts with the lesser of this and the user's current role, so it is not a copy of the user's
 * role taken at creation: demoting the user also limits the token.
 */
export const tokenScopes: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('tokens').addColumn('role', 'text').execute();
  },
};

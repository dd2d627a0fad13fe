import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

/** What GDPR export and erasure read and change across the tables that hold a user's personal data. */
export class PrivacyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async export(userId: string) {
    const [user, tokens, packages, listings, reviews, reports] = await Promise.all([
      this.db.selectFrom('users').select(['id', 'name', 'email', 'role', 'created_at']).where('id', '=', userId).executeTakeFirst(),
      this.db.selectFrom('tokens').select(['key', 'name', 'readonly', 'created_at', 'expires_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
      this.db.selectFrom('package_owners').select('package').where('user_id', '=', userId).orderBy('package').execute(),
      this.db.selectFrom('plugins').select('id').where('owner_id', '=', userId).orderBy('id').execute(),
      this.db.selectFrom('plugin_reviews').selectAll().where('user_id', '=', userId).orderBy('created_at').execute(),
      this.db.selectFrom('moderation_reports').selectAll().where('reporter_id', '=', userId).orderBy('created_at').execute(),
    ]);
    return user ? { user, tokens, packages: packages.map((p) => p.package), listings: listings.map((l) => l.id), reviews, reports } : null;
  }

  /**
   * Erasure. The account row stays, because published versions and owned packages and listings
   * refer to it by id, but keeps nothing personal: a random name, no email, no password, no tokens.
   * Reviews stay without their author; reports lose their reporter. Returns the plugins whose
   * reviews changed author, or null when the user does not exist.
   */
  async anonymise(userId: string): Promise<{ reviewedPlugins: string[]; tokensRevoked: number } | null> {
    return this.db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
      if (!user) return null;
      const reviewed = await trx.selectFrom('plugin_reviews').select('plugin_id').where('user_id', '=', userId).execute();
      await trx.updateTable('plugin_reviews').set({ user_id: null }).where('user_id', '=', userId).execute();
      await trx.updateTable('moderation_reports').set({ reporter_id: null }).where('reporter_id', '=', userId).execute();
      const tokens = await trx.deleteFrom('tokens').where('user_id', '=', userId).executeTakeFirst();
      await trx
        .updateTable('users')
        .set({ name: `deleted-${randomBytes(6).toString('hex')}`, email: null, password_hash: '!', role: 'reader' })
        .where('id', '=', userId)
        .execute();
      return { reviewedPlugins: reviewed.map((r) => r.plugin_id), tokensRevoked: Number(tokens.numDeletedRows) };
    });
  }
}

import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, ModerationReportsTable, PluginReviewsTable, PluginsTable } from '../storage/schema.js';
import { isUniqueViolation } from '../storage/database.js';
import type { PluginVersion } from '@wharf/core';

export type PluginRow = Selectable<PluginsTable>;
export type ReviewRow = Selectable<PluginReviewsTable>;
export type ReportRow = Selectable<ModerationReportsTable>;
export type ReviewWithAuthor = ReviewRow & { author: string | null };
type SignatureStatus = PluginVersion['signature']['status'];

/** Listings, reviews and moderation reports. Returns null for "not there", false for "already exists". */
export class MarketplaceRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async createListing(row: PluginRow): Promise<boolean> {
    try {
      await this.db.insertInto('plugins').values(row).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async getListing(id: string, db: Kysely<Database> = this.db): Promise<PluginRow | null> {
    return (await db.selectFrom('plugins').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async listingForPackage(pkg: string): Promise<PluginRow | null> {
    return (await this.db.selectFrom('plugins').selectAll().where('package', '=', pkg).executeTakeFirst()) ?? null;
  }

  async listingsByState(state: string, offset: number, limit: number): Promise<{ rows: PluginRow[]; total: number }> {
    const base = this.db.selectFrom('plugins').where('state', '=', state);
    const [rows, count] = await Promise.all([
      base.selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.n) };
  }

  /** false when the listing is no longer in state `from` (another moderator acted first). */
  async setState(trx: Transaction<Database>, id: string, from: string, state: string, now: string): Promise<boolean> {
    const result = await trx.updateTable('plugins').set({ state, updated_at: now }).where('id', '=', id).where('state', '=', from).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** One more install; returns the new count. Counted in one statement, so concurrent installs all count. */
  async countInstall(id: string): Promise<number> {
    await this.db.updateTable('plugins').set((eb) => ({ installs: eb('installs', '+', 1) })).where('id', '=', id).execute();
    const row = await this.db.selectFrom('plugins').select('installs').where('id', '=', id).executeTakeFirstOrThrow();
    return Number(row.installs);
  }

  async listReviews(pluginId: string, offset: number, limit: number): Promise<{ rows: ReviewWithAuthor[]; total: number }> {
    const base = this.db.selectFrom('plugin_reviews').where('plugin_id', '=', pluginId).where('hidden', '=', 0);
    const [rows, count] = await Promise.all([
      base
        .leftJoin('users', 'users.id', 'plugin_reviews.user_id')
        .selectAll('plugin_reviews')
        .select('users.name as author')
        .orderBy('plugin_reviews.updated_at', 'desc')
        .orderBy('plugin_reviews.id')
        .offset(offset)
        .limit(limit)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.n) };
  }

  async getReview(id: string): Promise<ReviewRow | null> {
    return (await this.db.selectFrom('plugin_reviews').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async reviewByUser(pluginId: string, userId: string): Promise<ReviewRow | null> {
    return (await this.db.selectFrom('plugin_reviews').selectAll().where('plugin_id', '=', pluginId).where('user_id', '=', userId).executeTakeFirst()) ?? null;
  }

  /** false when the user already reviewed the plugin (the unique constraint decides under concurrency). */
  async insertReview(row: ReviewRow): Promise<boolean> {
    try {
      await this.db.insertInto('plugin_reviews').values(row).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async updateReview(id: string, change: { rating: number; title: string | null; body: string; updated_at: string }): Promise<void> {
    await this.db.updateTable('plugin_reviews').set(change).where('id', '=', id).execute();
  }

  async deleteReview(id: string): Promise<void> {
    await this.db.deleteFrom('plugin_reviews').where('id', '=', id).execute();
  }

  /** false when the review is hidden already or gone. */
  async hideReview(trx: Transaction<Database>, id: string): Promise<boolean> {
    const result = await trx.updateTable('plugin_reviews').set({ hidden: 1 }).where('id', '=', id).where('hidden', '=', 0).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Sum and count of the visible ratings: what the listing and the search index show. */
  async rating(pluginId: string): Promise<{ sum: number; count: number }> {
    const row = await this.db
      .selectFrom('plugin_reviews')
      .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('rating'), sql<number>`0`).as('sum'), eb.fn.countAll<number>().as('count')])
      .where('plugin_id', '=', pluginId)
      .where('hidden', '=', 0)
      .executeTakeFirstOrThrow();
    return { sum: Number(row.sum), count: Number(row.count) };
  }

  /**
   * Signature status of each version of a package, from what the trust capability recorded at publish:
   * `signed` by the publisher's registered key, `invalid` once the version or that key is revoked,
   * `unsigned` otherwise (versions it has no record of included).
   */
  async signatures(pkg: string): Promise<Map<string, SignatureStatus>> {
    const rows = await this.db.selectFrom('trust_versions').select(['version', 'signature', 'revoked_at']).where('package', '=', pkg).execute();
    const keyOf = (signature: string | null) => (signature ? (JSON.parse(signature) as { keyid: string }).keyid : null);
    const keyids = [...new Set(rows.map((r) => keyOf(r.signature)).filter((k): k is string => k !== null))];
    const revokedKeys = new Set(
      keyids.length === 0
        ? []
        : (await this.db.selectFrom('trust_developer_keys').select('keyid').where('keyid', 'in', keyids).where('revoked_at', 'is not', null).execute()).map((k) => k.keyid),
    );
    return new Map(
      rows.map((r) => {
        const keyid = keyOf(r.signature);
        const status: SignatureStatus = keyid === null ? 'unsigned' : r.revoked_at !== null || revokedKeys.has(keyid) ? 'invalid' : 'signed';
        return [r.version, status];
      }),
    );
  }

  async insertReport(row: ReportRow): Promise<void> {
    await this.db.insertInto('moderation_reports').values(row).execute();
  }

  async getReport(id: string, db: Kysely<Database> = this.db): Promise<ReportRow | null> {
    return (await db.selectFrom('moderation_reports').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async listReports(state: string, offset: number, limit: number): Promise<{ rows: ReportRow[]; total: number }> {
    const base = this.db.selectFrom('moderation_reports').where('state', '=', state);
    const [rows, count] = await Promise.all([
      base.selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.n) };
  }

  /** false when the report was resolved meanwhile. */
  async resolveReport(trx: Transaction<Database>, id: string, resolution: string, resolvedBy: string, now: string): Promise<boolean> {
    const result = await trx
      .updateTable('moderation_reports')
      .set({ state: 'resolved', resolution, resolved_by: resolvedBy, resolved_at: now })
      .where('id', '=', id)
      .where('state', '=', 'open')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

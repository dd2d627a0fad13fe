import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AppConfigVersionsTable, Database, SourceProbesTable, SourceStatsTable } from '../storage/schema.js';

export type ConfigVersionRow = Selectable<AppConfigVersionsTable>;
export type ProbeRow = Selectable<SourceProbesTable>;
export type StatsRow = Selectable<SourceStatsTable>;

/** SQL of app config versions, fleet source counts and probe results. */
export class SourceRepository {
  constructor(readonly db: Kysely<Database>) {}

  async current(db: Kysely<Database>, key: string): Promise<ConfigVersionRow | null> {
    return (await db.selectFrom('app_config_versions').selectAll().where('key', '=', key).orderBy('version', 'desc').limit(1).executeTakeFirst()) ?? null;
  }

  /** Fails with a unique violation when another writer took the same version first. */
  async insertVersion(db: Kysely<Database>, row: ConfigVersionRow): Promise<void> {
    await db.insertInto('app_config_versions').values(row).execute();
  }

  async history(key: string, limit: number): Promise<ConfigVersionRow[]> {
    return this.db.selectFrom('app_config_versions').selectAll().where('key', '=', key).orderBy('version', 'desc').limit(limit).execute();
  }

  async addStats(trx: Transaction<Database>, day: string, rows: { source: string; requests: number; errors: number; rateLimited: number; fallbacks: number }[]): Promise<void> {
    for (const r of rows) {
      await trx
        .insertInto('source_stats')
        .values({ source: r.source, day, requests: r.requests, errors: r.errors, rate_limited: r.rateLimited, fallbacks: r.fallbacks })
        .onConflict((oc) =>
          oc.columns(['source', 'day']).doUpdateSet({
            requests: sql`source_stats.requests + excluded.requests`,
            errors: sql`source_stats.errors + excluded.errors`,
            rate_limited: sql`source_stats.rate_limited + excluded.rate_limited`,
            fallbacks: sql`source_stats.fallbacks + excluded.fallbacks`,
          }),
        )
        .execute();
    }
  }

  /** Counts of `since` (YYYY-MM-DD) and the days after it, oldest day first. */
  async stats(since: string): Promise<StatsRow[]> {
    return this.db.selectFrom('source_stats').selectAll().where('day', '>=', since).orderBy('day').orderBy('source').execute();
  }

  async probes(): Promise<ProbeRow[]> {
    return this.db.selectFrom('source_probes').selectAll().orderBy('source').execute();
  }

  async putProbe(row: ProbeRow): Promise<void> {
    const { source: _source, ...rest } = row;
    await this.db
      .insertInto('source_probes')
      .values(row)
      .onConflict((oc) => oc.column('source').doUpdateSet(rest))
      .execute();
  }

  /** Forgets probes of sources the configuration no longer names. */
  async keepProbes(sources: string[]): Promise<void> {
    let q = this.db.deleteFrom('source_probes');
    if (sources.length > 0) q = q.where('source', 'not in', sources);
    await q.execute();
  }
}

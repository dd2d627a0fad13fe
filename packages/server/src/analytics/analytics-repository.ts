import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AnalyticsEventsTable, Database } from '../storage/schema.js';

export type AnalyticsEventRow = Selectable<AnalyticsEventsTable>;

/** Raw opt-in counters and their per-day sums. Neither holds anything about who sent them. */
export class AnalyticsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores the raw events and adds them to the daily sums, in the caller's transaction. */
  async record(trx: Transaction<Database>, events: AnalyticsEventRow[]): Promise<void> {
    if (events.length === 0) return;
    await trx.insertInto('analytics_events').values(events).execute();
    for (const e of events) {
      await trx
        .insertInto('plugin_daily_stats')
        .values({ plugin_id: e.plugin_id, day: e.day, installs: e.installs, activations: e.activations, errors: e.errors })
        .onConflict((oc) =>
          oc.columns(['plugin_id', 'day']).doUpdateSet({
            installs: sql`plugin_daily_stats.installs + excluded.installs`,
            activations: sql`plugin_daily_stats.activations + excluded.activations`,
            errors: sql`plugin_daily_stats.errors + excluded.errors`,
          }),
        )
        .execute();
    }
  }

  /** Deletes raw events received before `cutoff` (ISO time); returns how many went. */
  async purgeBefore(cutoff: string): Promise<number> {
    const res = await this.db.deleteFrom('analytics_events').where('received_at', '<', cutoff).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async countEvents(): Promise<number> {
    const row = await this.db.selectFrom('analytics_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async daily(pluginId: string, since: string): Promise<{ day: string; installs: number; activations: number; errors: number }[]> {
    const rows = await this.db.selectFrom('plugin_daily_stats').selectAll().where('plugin_id', '=', pluginId).where('day', '>=', since).orderBy('day').execute();
    return rows.map((r) => ({ day: r.day, installs: Number(r.installs), activations: Number(r.activations), errors: Number(r.errors) }));
  }
}

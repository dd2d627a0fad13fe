import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, RolloutsTable, VersionHealthTable } from '../storage/schema.js';

export type RolloutRow = Selectable<RolloutsTable>;
export type HealthRow = Selectable<VersionHealthTable>;

export const OPEN_STATES = ['active', 'halted'];

/** SQL of rollouts and of the aggregated version health counters. */
export class RolloutRepository {
  constructor(readonly db: Kysely<Database>) {}

  async get(db: Kysely<Database>, id: string): Promise<RolloutRow | null> {
    return (await db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  /** The most recent rollout of a channel, whatever its state: it decides resolution while open. */
  async latest(db: Kysely<Database>, plugin: string, channel: string): Promise<RolloutRow | null> {
    return (await db.selectFrom('rollouts').selectAll().where('plugin', '=', plugin).where('channel', '=', channel).orderBy('created_at', 'desc').orderBy('id').limit(1).executeTakeFirst()) ?? null;
  }

  /** The channel's dist-tag, read directly: resolution is the hot path and needs nothing else of the packument. */
  async channelTag(db: Kysely<Database>, plugin: string, channel: string): Promise<string | null> {
    return (await db.selectFrom('dist_tags').select('version').where('package', '=', plugin).where('tag', '=', channel).executeTakeFirst())?.version ?? null;
  }

  async open(db: Kysely<Database>, plugin: string): Promise<RolloutRow[]> {
    return db.selectFrom('rollouts').selectAll().where('plugin', '=', plugin).where('state', 'in', OPEN_STATES).execute();
  }

  async list(filter: { plugin?: string | undefined; state?: string | undefined }): Promise<RolloutRow[]> {
    let q = this.db.selectFrom('rollouts').selectAll();
    if (filter.plugin) q = q.where('plugin', '=', filter.plugin);
    if (filter.state) q = q.where('state', '=', filter.state);
    return q.orderBy('created_at', 'desc').limit(500).execute();
  }

  async insert(db: Kysely<Database>, row: RolloutRow): Promise<void> {
    await db.insertInto('rollouts').values(row).execute();
  }

  /** Compare-and-set on the state, so two concurrent transitions cannot both win. */
  async transition(db: Kysely<Database>, id: string, from: string, change: Partial<RolloutRow>): Promise<boolean> {
    const res = await db.updateTable('rollouts').set(change).where('id', '=', id).where('state', '=', from).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async addHealth(db: Kysely<Database>, plugin: string, version: string, activations: number, errors: number, now: string): Promise<void> {
    await db
      .insertInto('version_health')
      .values({ plugin, version, activations, errors, updated_at: now })
      .onConflict((oc) =>
        oc.columns(['plugin', 'version']).doUpdateSet({
          activations: sql`version_health.activations + ${activations}`,
          errors: sql`version_health.errors + ${errors}`,
          updated_at: now,
        }),
      )
      .execute();
  }

  async health(db: Kysely<Database>, plugin: string, version: string): Promise<HealthRow | null> {
    return (await db.selectFrom('version_health').selectAll().where('plugin', '=', plugin).where('version', '=', version).executeTakeFirst()) ?? null;
  }

  async healthOf(plugin: string): Promise<HealthRow[]> {
    return this.db.selectFrom('version_health').selectAll().where('plugin', '=', plugin).orderBy('version').execute();
  }
}

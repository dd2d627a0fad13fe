import type { Kysely, Selectable } from 'kysely';
import type { Database, DeltasTable } from '../storage/schema.js';

export type DeltaRow = Selectable<DeltasTable>;

/** Built deltas by version pair. */
export class DeltaRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(name: string, from: string, to: string): Promise<DeltaRow | null> {
    return (await this.db.selectFrom('deltas').selectAll().where('package', '=', name).where('from_version', '=', from).where('to_version', '=', to).executeTakeFirst()) ?? null;
  }

  /** The deltas clients may use to reach `to`, for its signed metadata. */
  offeredTo(name: string, to: string): Promise<DeltaRow[]> {
    return this.db.selectFrom('deltas').selectAll().where('package', '=', name).where('to_version', '=', to).where('offered', '=', 1).orderBy('from_version').execute();
  }

  /** Another replica may have built the same pair first: the first row stands. */
  async add(row: DeltaRow): Promise<void> {
    await this.db.insertInto('deltas').values(row).onConflict((oc) => oc.doNothing()).execute();
  }
}

import type { Kysely } from 'kysely';
import { DEFAULT_RELEASE_POLICY, ReleasePolicySchema, type ReleasePolicy } from '@wharf/core';
import type { Database } from '../storage/schema.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { EventBus } from '../events/event-bus.js';

export const RELEASE_CHANGED = 'release.changed';
const ROW = 'current';

/** The version gate's policy (latest, minSupported, message, url, mode): one row, audited on change. */
export class ReleaseService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly events: EventBus,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async policy(db: Kysely<Database> = this.db): Promise<ReleasePolicy> {
    const row = await db.selectFrom('release_policy').select('policy').where('id', '=', ROW).executeTakeFirst();
    return row ? ReleasePolicySchema.parse(JSON.parse(row.policy)) : DEFAULT_RELEASE_POLICY;
  }

  async setPolicy(actor: string, policy: ReleasePolicy): Promise<ReleasePolicy> {
    await this.db.transaction().execute(async (trx) => {
      const before = await this.policy(trx);
      const values = { id: ROW, policy: JSON.stringify(policy), updated_at: this.now().toISOString(), updated_by: actor };
      await trx
        .insertInto('release_policy')
        .values(values)
        .onConflict((oc) => oc.column('id').doUpdateSet({ policy: values.policy, updated_at: values.updated_at, updated_by: actor }))
        .execute();
      await this.audit.record({ actor, action: 'release.set', target: 'release:policy', before, after: policy }, trx);
    });
    await this.events.publish(RELEASE_CHANGED, policy);
    return policy;
  }
}

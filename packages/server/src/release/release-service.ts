import type { Kysely, Transaction } from 'kysely';
import { DEFAULT_RELEASE_POLICY, ReleasePolicySchema, type ReleasePolicy } from '@wharf/core';
import type { Database } from '../storage/schema.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { DomainEvents } from '../events/domain-events.js';
import { ReleaseRepository } from './release-repository.js';

/** The version gate's policy (latest, minSupported, message, url, mode): one row, audited on change. */
export class ReleaseService {
  private readonly repo: ReleaseRepository;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly events: DomainEvents,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = new ReleaseRepository(db);
  }

  async policy(db: Kysely<Database> | Transaction<Database> = this.db): Promise<ReleasePolicy> {
    const stored = await this.repo.policy(db);
    return stored ? ReleasePolicySchema.parse(JSON.parse(stored)) : DEFAULT_RELEASE_POLICY;
  }

  async setPolicy(actor: string, policy: ReleasePolicy): Promise<ReleasePolicy> {
    await this.db.transaction().execute(async (trx) => {
      const before = await this.policy(trx);
      await this.repo.setPolicy(trx, JSON.stringify(policy), this.now().toISOString(), actor);
      await this.audit.record({ actor, action: 'release.set', target: 'release:policy', before, after: policy }, trx);
    });
    await this.events.emit('release.changed', policy);
    return policy;
  }
}

import type { Kysely } from 'kysely';
import type { Role } from '../access/principal.js';
import type { Database } from '../storage/schema.js';
import type { AuditLog } from '../audit/audit-log.js';
import { notFound } from '../errors.js';
import { RoleRepository } from './role-repository.js';

/** Changes a user's role; the change and its audit row commit together. Tokens follow at once (roles are read per request). */
export class RoleService {
  private readonly repo: RoleRepository;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
  ) {
    this.repo = new RoleRepository(db);
  }

  /** Every account, oldest first; erased accounts (anonymised, kept for what they published) included. */
  async users(): Promise<{ name: string; role: Role; createdAt: string }[]> {
    return (await this.repo.list()).map((r) => ({ name: r.name, role: r.role as Role, createdAt: r.created_at }));
  }

  async setRole(actor: string, name: string, role: Role): Promise<{ name: string; role: Role }> {
    await this.db.transaction().execute(async (trx) => {
      const user = await this.repo.byName(trx, name);
      if (!user) throw notFound(`user ${name} not found`);
      await this.repo.setRole(trx, user.id, role);
      await this.audit.record({ actor, action: 'users.set-role', target: `user:${name}`, before: { role: user.role }, after: { role } }, trx);
    });
    return { name, role };
  }
}

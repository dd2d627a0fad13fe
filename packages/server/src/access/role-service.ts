import type { Kysely } from 'kysely';
import type { Role } from '../auth/principal.js';
import type { Database } from '../storage/schema.js';
import type { AuditLog } from '../audit/audit-log.js';
import { notFound } from '../errors.js';

/** Changes a user's role; the change and its audit row commit together. Tokens follow at once (roles are read per request). */
export class RoleService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
  ) {}

  /** Every account, oldest first; erased accounts (anonymised, kept for what they published) included. */
  async users(): Promise<{ name: string; role: Role; createdAt: string }[]> {
    const rows = await this.db.selectFrom('users').select(['name', 'role', 'created_at']).orderBy('created_at').orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, role: r.role as Role, createdAt: r.created_at }));
  }

  async setRole(actor: string, name: string, role: Role): Promise<{ name: string; role: Role }> {
    await this.db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('users').select(['id', 'role']).where('name', '=', name).executeTakeFirst();
      if (!user) throw notFound(`user ${name} not found`);
      await trx.updateTable('users').set({ role }).where('id', '=', user.id).execute();
      await this.audit.record({ actor, action: 'users.set-role', target: `user:${name}`, before: { role: user.role }, after: { role } }, trx);
    });
    return { name, role };
  }
}

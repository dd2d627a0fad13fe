import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AuditLogTable, Database } from '../storage/schema.js';
import type { DialectName } from '../storage/database.js';

export type AuditRow = Selectable<AuditLogTable>;

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  after?: number | undefined;
  limit: number;
}

/** Arbitrary but fixed: the advisory lock that serialises audit appends across every replica. */
const APPEND_LOCK = 0x77686172_6175;

/** SQL of the audit log: append under a lock, read pages. Never updates or deletes. */
export class AuditRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  /**
   * Takes the append lock for the rest of `trx`. PostgreSQL needs it (two transactions would read the
   * same last row and fork the chain); SQLite write transactions are already serial.
   */
  async lockForAppend(trx: Transaction<Database>): Promise<void> {
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(trx);
  }

  async last(trx: Kysely<Database>): Promise<AuditRow | null> {
    return (await trx.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst()) ?? null;
  }

  async insert(trx: Kysely<Database>, row: AuditRow): Promise<void> {
    await trx.insertInto('audit_log').values(row).execute();
  }

  async list(filter: AuditFilter): Promise<AuditRow[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (filter.actor) q = q.where('actor', '=', filter.actor);
    if (filter.action) q = q.where('action', '=', filter.action);
    if (filter.target) q = q.where('target', '=', filter.target);
    if (filter.since) q = q.where('at', '>=', filter.since);
    if (filter.until) q = q.where('at', '<', filter.until);
    if (filter.after !== undefined) q = q.where('seq', '>', filter.after);
    return q.orderBy('seq', 'asc').limit(filter.limit).execute();
  }
}

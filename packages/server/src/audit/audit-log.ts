import type { Kysely, Transaction } from 'kysely';
import { auditHash, AUDIT_GENESIS_HASH, verifyAuditChain, type AuditEntry, type AuditVerification } from '@wharf/core';
import type { Database } from '../storage/schema.js';
import { AuditRepository, type AuditFilter, type AuditRow } from './audit-repository.js';

export type { AuditRow } from './audit-repository.js';

export interface AuditRecord {
  /** Who: a user name (the static admin token acts as `admin`), or `system` for automatic actions. */
  actor: string;
  /** What, as `<capability>.<verb>`: `snapshots.publish`, `rollouts.halt`, `flags.update`… */
  action: string;
  /** On what: `snapshot:7`, `rollout:@acme/x@beta`, `user:alice`… */
  target: string;
  before: unknown;
  after: unknown;
}

const VERIFY_PAGE = 1000;

/**
 * The append-only, hash-chained record of every control-plane change. Services call `record` inside
 * the transaction that makes the change, so a change and its audit row commit or fail together.
 */
export class AuditLog {
  private readonly repo: AuditRepository;

  constructor(
    private readonly db: Kysely<Database>,
    dialect: 'sqlite' | 'postgres',
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = new AuditRepository(db, dialect);
  }

  async record(entry: AuditRecord, trx?: Transaction<Database>): Promise<AuditRow> {
    if (trx) return this.append(entry, trx);
    return this.db.transaction().execute((t) => this.append(entry, t));
  }

  list(filter: AuditFilter): Promise<AuditRow[]> {
    return this.repo.list(filter);
  }

  /** Verifies the whole chain as stored, page by page, with the same function the CLI uses. */
  async verify(): Promise<AuditVerification> {
    const rows: AuditEntry[] = [];
    let after = 0;
    for (;;) {
      const page = await this.repo.list({ after, limit: VERIFY_PAGE });
      rows.push(...page.map(toAuditEntry));
      if (page.length < VERIFY_PAGE) break;
      after = page[page.length - 1]!.seq;
    }
    return verifyAuditChain(rows);
  }

  private async append(entry: AuditRecord, trx: Transaction<Database>): Promise<AuditRow> {
    await this.repo.lockForAppend(trx);
    const last = await this.repo.last(trx);
    // JSON round trip first, so the hash covers exactly what storage will give back.
    const before = normalise(entry.before);
    const after = normalise(entry.after);
    const content = {
      seq: (last?.seq ?? 0) + 1,
      at: this.now().toISOString(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      before,
      after,
      prevHash: last?.hash ?? AUDIT_GENESIS_HASH,
    };
    const row: AuditRow = {
      seq: content.seq,
      at: content.at,
      actor: content.actor,
      action: content.action,
      target: content.target,
      before: JSON.stringify(before),
      after: JSON.stringify(after),
      prev_hash: content.prevHash,
      hash: auditHash(content),
    };
    await this.repo.insert(trx, row);
    return row;
  }
}

function normalise(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: Number(row.seq),
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    before: JSON.parse(row.before),
    after: JSON.parse(row.after),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

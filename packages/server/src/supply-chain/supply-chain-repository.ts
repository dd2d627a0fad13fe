import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, ScopePoliciesTable, VulnerabilityFlagsTable } from '../storage/schema.js';

export type PolicyRow = Selectable<ScopePoliciesTable>;
export type FlagRow = Selectable<VulnerabilityFlagsTable>;

export interface AdvisoryInput {
  id: string;
  modified: string;
  document: string;
  packages: string[];
}

/** What an import did with one advisory: re-importing the same or an older copy changes nothing. */
export type ImportOutcome = 'created' | 'updated' | 'unchanged' | 'older';

export interface ImportResult {
  outcome: ImportOutcome;
  /** The `modified` of the copy stored before, null for a new advisory. */
  previous: string | null;
}

/** Keeps IN lists well under both drivers' bound-parameter limits. */
const CHUNK = 500;

/** SBOMs, advisories, scope policies and publish-time flags. Writes take the service's transaction first. */
export class SupplyChainRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** SBOMs are written once per version; a second write (a retried hook) keeps the first. */
  async putSbom(trx: Transaction<Database>, pkg: string, version: string, document: string, createdAt: string): Promise<void> {
    await trx
      .insertInto('sboms')
      .values({ package: pkg, version, document, created_at: createdAt })
      .onConflict((oc) => oc.columns(['package', 'version']).doNothing())
      .execute();
  }

  async getSbom(pkg: string, version: string): Promise<string | null> {
    const row = await this.db.selectFrom('sboms').select('document').where('package', '=', pkg).where('version', '=', version).executeTakeFirst();
    return row?.document ?? null;
  }

  /** Imports advisories, keyed by id. */
  async importAdvisories(trx: Transaction<Database>, advisories: AdvisoryInput[], now: string): Promise<ImportResult[]> {
    const results: ImportResult[] = [];
    for (const a of advisories) {
      const existing = await trx.selectFrom('advisories').select(['modified', 'document']).where('id', '=', a.id).executeTakeFirst();
      const previous = existing?.modified ?? null;
      if (existing && existing.document === a.document) {
        results.push({ outcome: 'unchanged', previous });
        continue;
      }
      if (existing && Date.parse(existing.modified) > Date.parse(a.modified)) {
        results.push({ outcome: 'older', previous });
        continue;
      }
      // Upserts, so that two operators importing the same new advisory at once both succeed.
      const row = { modified: a.modified, document: a.document, imported_at: now };
      await trx
        .insertInto('advisories')
        .values({ id: a.id, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      await trx.deleteFrom('advisory_packages').where('advisory_id', '=', a.id).execute();
      if (a.packages.length > 0) {
        await trx
          .insertInto('advisory_packages')
          .values(a.packages.map((p) => ({ advisory_id: a.id, package: p })))
          .onConflict((oc) => oc.columns(['advisory_id', 'package']).doNothing())
          .execute();
      }
      results.push({ outcome: existing ? 'updated' : 'created', previous });
    }
    return results;
  }

  async getAdvisory(id: string): Promise<string | null> {
    const row = await this.db.selectFrom('advisories').select('document').where('id', '=', id).executeTakeFirst();
    return row?.document ?? null;
  }

  /** Advisory documents, by id; only those affecting `pkg` when given. */
  async listAdvisories(pkg?: string): Promise<string[]> {
    let query = this.db.selectFrom('advisories').select('advisories.document').orderBy('advisories.id');
    if (pkg !== undefined) query = query.innerJoin('advisory_packages', 'advisory_packages.advisory_id', 'advisories.id').where('advisory_packages.package', '=', pkg);
    return (await query.execute()).map((r) => r.document);
  }

  /** Advisory documents affecting any of these npm package names. */
  async advisoriesFor(packages: string[]): Promise<string[]> {
    const documents = new Map<string, string>();
    const unique = [...new Set(packages)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('advisories')
        .innerJoin('advisory_packages', 'advisory_packages.advisory_id', 'advisories.id')
        .select(['advisories.id', 'advisories.document'])
        .where('advisory_packages.package', 'in', unique.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) documents.set(row.id, row.document);
    }
    return [...documents.values()];
  }

  async getPolicy(scope: string, db: Kysely<Database> = this.db): Promise<PolicyRow | null> {
    return (await db.selectFrom('scope_policies').selectAll().where('scope', '=', scope).executeTakeFirst()) ?? null;
  }

  async listPolicies(): Promise<PolicyRow[]> {
    return this.db.selectFrom('scope_policies').selectAll().orderBy('scope').execute();
  }

  async setPolicy(trx: Transaction<Database>, scope: string, vulnerable: string, now: string, by: string): Promise<void> {
    await trx
      .insertInto('scope_policies')
      .values({ scope, vulnerable, updated_at: now, updated_by: by })
      .onConflict((oc) => oc.column('scope').doUpdateSet({ vulnerable, updated_at: now, updated_by: by }))
      .execute();
  }

  async addFlags(trx: Transaction<Database>, flags: FlagRow[]): Promise<void> {
    if (flags.length === 0) return;
    await trx
      .insertInto('vulnerability_flags')
      .values(flags)
      .onConflict((oc) => oc.columns(['package', 'version', 'advisory_id', 'component']).doNothing())
      .execute();
  }

  async getFlags(pkg: string, version: string): Promise<FlagRow[]> {
    return this.db.selectFrom('vulnerability_flags').selectAll().where('package', '=', pkg).where('version', '=', version).orderBy('component').orderBy('advisory_id').execute();
  }
}

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, TrustDeveloperKeysTable, TrustVersionsTable } from '../storage/schema.js';

export type TrustVersionRow = Selectable<TrustVersionsTable>;
export type DeveloperKeyRow = Selectable<TrustDeveloperKeysTable>;

/**
 * SQL of the trust capability; the same statements serve SQLite and PostgreSQL. Writes take the
 * connection they run on first (the service's transaction); reads may be given one, to read inside it.
 */
export class TrustRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async latestMetadata(role: string, db: Kysely<Database> = this.db): Promise<{ version: number; body: string; expires: string } | null> {
    const row = await db.selectFrom('trust_metadata').select(['version', 'body', 'expires']).where('role', '=', role).orderBy('version', 'desc').limit(1).executeTakeFirst();
    return row ?? null;
  }

  async metadataVersion(role: string, version: number): Promise<string | null> {
    const row = await this.db.selectFrom('trust_metadata').select('body').where('role', '=', role).where('version', '=', version).executeTakeFirst();
    return row?.body ?? null;
  }

  /** Several roles at once, in one transaction: a snapshot is never visible without its targets. */
  async insertMetadata(trx: Transaction<Database>, rows: { role: string; version: number; body: string; expires: string }[], now: string): Promise<void> {
    for (const r of rows) await trx.insertInto('trust_metadata').values({ ...r, created_at: now }).execute();
  }

  /** false when the key id is registered already. */
  async addKey(trx: Transaction<Database>, row: TrustDeveloperKeysTable): Promise<boolean> {
    const existing = await trx.selectFrom('trust_developer_keys').select('keyid').where('keyid', '=', row.keyid).executeTakeFirst();
    if (existing) return false;
    await trx.insertInto('trust_developer_keys').values(row).execute();
    return true;
  }

  async key(keyid: string): Promise<DeveloperKeyRow | null> {
    return (await this.db.selectFrom('trust_developer_keys').selectAll().where('keyid', '=', keyid).executeTakeFirst()) ?? null;
  }

  async keysOf(userId: string): Promise<DeveloperKeyRow[]> {
    return this.db.selectFrom('trust_developer_keys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
  }

  /** false when the key was revoked already. */
  async revokeKey(trx: Transaction<Database>, keyid: string, at: string): Promise<boolean> {
    const result = await trx.updateTable('trust_developer_keys').set({ revoked_at: at }).where('keyid', '=', keyid).where('revoked_at', 'is', null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async addVersion(trx: Transaction<Database>, row: TrustVersionsTable): Promise<void> {
    await trx.insertInto('trust_versions').values(row).execute();
  }

  async version(pkg: string, version: string): Promise<TrustVersionRow | null> {
    return (await this.db.selectFrom('trust_versions').selectAll().where('package', '=', pkg).where('version', '=', version).executeTakeFirst()) ?? null;
  }

  /** Versions still published (an unpublished version leaves the catalog). */
  /** Offered deltas by the version they lead to (`<package>@<to>`): listed in that version's target. */
  async offeredDeltas(db: Kysely<Database> = this.db): Promise<Map<string, Record<string, { length: number; sha256: string }>>> {
    const rows = await db.selectFrom('deltas').select(['package', 'from_version', 'to_version', 'length', 'sha256']).where('offered', '=', 1).execute();
    const out = new Map<string, Record<string, { length: number; sha256: string }>>();
    for (const r of rows) {
      const key = `${r.package}@${r.to_version}`;
      out.set(key, { ...out.get(key), [r.from_version]: { length: r.length, sha256: r.sha256 } });
    }
    return out;
  }

  async catalog(db: Kysely<Database> = this.db): Promise<TrustVersionRow[]> {
    return db
      .selectFrom('trust_versions as t')
      .innerJoin('versions as v', (j) => j.onRef('v.package', '=', 't.package').onRef('v.version', '=', 't.version'))
      .selectAll('t')
      .orderBy('t.package')
      .orderBy('t.version')
      .execute();
  }

  /** Stored versions with no trust record, published before `before` (a publish in flight is not one). */
  async unlisted(before: string, limit: number): Promise<{ package: string; version: string; manifest: string; integrity: string; blob_key: string; publisher_id: string; publisher: string; role: string }[]> {
    return this.db
      .selectFrom('versions as v')
      .leftJoin('trust_versions as t', (j) => j.onRef('t.package', '=', 'v.package').onRef('t.version', '=', 'v.version'))
      .innerJoin('users as u', 'u.id', 'v.publisher_id')
      .select(['v.package', 'v.version', 'v.manifest', 'v.integrity', 'v.blob_key', 'v.publisher_id', 'u.name as publisher', 'u.role'])
      .where('t.package', 'is', null)
      .where('v.published_at', '<', before)
      .orderBy('v.published_at')
      .limit(limit)
      .execute();
  }

  /** false when the version was revoked already (the first revocation's reason stands). */
  async revoke(trx: Transaction<Database>, pkg: string, version: string, reason: string, by: string, at: string): Promise<boolean> {
    const result = await trx
      .updateTable('trust_versions')
      .set({ revoked_reason: reason, revoked_at: at, revoked_by: by })
      .where('package', '=', pkg)
      .where('version', '=', version)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** A user's name, for audit rows about what they own. */
  async userName(userId: string, db: Kysely<Database> = this.db): Promise<string | null> {
    return (await db.selectFrom('users').select('name').where('id', '=', userId).executeTakeFirst())?.name ?? null;
  }

  /** Who owns a scope, null when nobody has published in it. */
  async scopeOwner(scope: string): Promise<string | null> {
    return (await this.db.selectFrom('scopes').select('owner_id').where('scope', '=', scope).executeTakeFirst())?.owner_id ?? null;
  }

  async requiresSignature(scope: string): Promise<boolean> {
    return (await this.policy(scope)) === true;
  }

  /** A scope's own signature policy, null when it has none. */
  async policy(scope: string, db: Kysely<Database> = this.db): Promise<boolean | null> {
    const row = await db.selectFrom('trust_scope_policies').select('require_signature').where('scope', '=', scope).executeTakeFirst();
    return row ? row.require_signature === 1 : null;
  }

  async setPolicy(trx: Transaction<Database>, scope: string, requireSignature: boolean, by: string, at: string): Promise<void> {
    const values = { require_signature: requireSignature ? 1 : 0, updated_at: at, updated_by: by };
    await trx.insertInto('trust_scope_policies').values({ scope, ...values }).onConflict((oc) => oc.column('scope').doUpdateSet(values)).execute();
  }
}

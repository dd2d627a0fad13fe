import type { Kysely, Selectable, Transaction } from 'kysely';
import { pickLatest } from '@wharf/core';
import type { Database, PackagesTable, VersionsTable } from './schema.js';
import { isUniqueViolation } from './database.js';

export type PackageRow = Selectable<PackagesTable>;
export type VersionRow = Selectable<VersionsTable>;

export interface PackageDocument {
  pkg: PackageRow;
  versions: VersionRow[];
  tags: Record<string, string>;
  owners: { name: string; email: string | null }[];
}

export interface NewVersion {
  name: string;
  scope: string | null;
  version: VersionRow;
  tags: string[];
  description: string | null;
  readme: string | null;
  keywords: string[];
  now: string;
}

export type PublishOutcome = 'published' | 'not-owner' | 'scope-taken' | 'version-exists' | 'version-tombstoned';

/**
 * Packages, versions, dist-tags and owners. Every write runs in the caller's transaction (its first
 * argument, docs/architecture.md) and bumps the package's `rev` and `modified_at`, so readers see a
 * version together with its tags or not at all.
 */
export class PackageRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async getPackage(name: string): Promise<PackageRow | null> {
    return (await this.db.selectFrom('packages').selectAll().where('name', '=', name).executeTakeFirst()) ?? null;
  }

  async getDocument(name: string): Promise<PackageDocument | null> {
    const pkg = await this.getPackage(name);
    if (!pkg) return null;
    const [versions, tags, owners] = await Promise.all([
      this.db.selectFrom('versions').selectAll().where('package', '=', name).orderBy('published_at').execute(),
      this.db.selectFrom('dist_tags').select(['tag', 'version']).where('package', '=', name).execute(),
      this.db
        .selectFrom('package_owners')
        .innerJoin('users', 'users.id', 'package_owners.user_id')
        .select(['users.name', 'users.email'])
        .where('package_owners.package', '=', name)
        .orderBy('users.name')
        .execute(),
    ]);
    return { pkg, versions, tags: Object.fromEntries(tags.map((t) => [t.tag, t.version])), owners };
  }

  async getVersion(name: string, version: string): Promise<VersionRow | null> {
    return (
      (await this.db.selectFrom('versions').selectAll().where('package', '=', name).where('version', '=', version).executeTakeFirst()) ?? null
    );
  }

  /** Names of the packages a user owns, sorted; null when there is no such user. */
  async packagesOwnedBy(userName: string): Promise<string[] | null> {
    const user = await this.db.selectFrom('users').select('id').where('name', '=', userName).executeTakeFirst();
    if (!user) return null;
    const rows = await this.db.selectFrom('package_owners').select('package').where('user_id', '=', user.id).orderBy('package').execute();
    return rows.map((r) => r.package);
  }

  /** Names of the packages in a scope (without its @), sorted; null when nobody has claimed the scope. */
  async packagesInScope(scope: string): Promise<string[] | null> {
    const claimed = await this.db.selectFrom('scopes').select('scope').where('scope', '=', scope).executeTakeFirst();
    if (!claimed) return null;
    const rows = await this.db.selectFrom('packages').select('name').where('scope', '=', scope).orderBy('name').execute();
    return rows.map((r) => r.name);
  }

  /** Versions whose stored npm signature is missing or made by another key than `keyid`. */
  async versionsNotSignedBy(keyid: string, limit: number): Promise<Pick<VersionRow, 'package' | 'version' | 'integrity'>[]> {
    // The stored JSON starts with its keyid (JSON.stringify keeps key order): a prefix match finds the current key's.
    return this.db
      .selectFrom('versions')
      .select(['package', 'version', 'integrity'])
      .where((eb) => eb.or([eb('npm_signature', 'is', null), eb('npm_signature', 'not like', `{"keyid":${JSON.stringify(keyid)},%`)]))
      .limit(limit)
      .execute();
  }

  async setNpmSignature(db: Kysely<Database>, name: string, version: string, signature: string): Promise<void> {
    await db.updateTable('versions').set({ npm_signature: signature }).where('package', '=', name).where('version', '=', version).execute();
  }

  async isOwner(name: string, userId: string): Promise<boolean> {
    const row = await this.db.selectFrom('package_owners').select('user_id').where('package', '=', name).where('user_id', '=', userId).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Creates the package on first publish (claiming its scope if unclaimed), checks ownership, inserts
   * the version and moves the tags. A refusal throws `PublishRefused`, so the caller's transaction
   * rolls back whole (`publishOutcome` reads it). Concurrent publishes of one version race on the
   * primary key, so exactly one wins.
   */
  async publish(trx: Transaction<Database>, input: NewVersion): Promise<void> {
    const userId = input.version.publisher_id;
    const created = await trx
      .insertInto('packages')
      .values({
        name: input.name,
        scope: input.scope,
        description: input.description,
        readme: input.readme,
        keywords: JSON.stringify(input.keywords),
        rev: 0,
        created_at: input.now,
        modified_at: input.now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if (Number(created.numInsertedOrUpdatedRows ?? 0) > 0) {
      if (input.scope !== null) {
        await trx.insertInto('scopes').values({ scope: input.scope, owner_id: userId, created_at: input.now }).onConflict((oc) => oc.column('scope').doNothing()).execute();
        const scope = await trx.selectFrom('scopes').select('owner_id').where('scope', '=', input.scope).executeTakeFirstOrThrow();
        // Another user's scope: only the scope owner creates packages in it (dependency-confusion guard).
        if (scope.owner_id !== userId) throw new PublishRefused('scope-taken');
      }
      await trx.insertInto('package_owners').values({ package: input.name, user_id: userId }).execute();
    } else {
      const owner = await trx.selectFrom('package_owners').select('user_id').where('package', '=', input.name).where('user_id', '=', userId).executeTakeFirst();
      if (!owner) throw new PublishRefused('not-owner');
    }
    const tombstone = await trx
      .selectFrom('version_tombstones')
      .select('version')
      .where('package', '=', input.name)
      .where('version', '=', input.version.version)
      .executeTakeFirst();
    if (tombstone) throw new PublishRefused('version-tombstoned');
    await trx.insertInto('versions').values(input.version).execute();
    for (const tag of input.tags) await upsertTag(trx, input.name, tag, input.version.version);
    await trx
      .updateTable('packages')
      .set((eb) => ({
        rev: eb('rev', '+', 1),
        modified_at: input.now,
        description: input.description,
        keywords: JSON.stringify(input.keywords),
        ...(input.readme !== null ? { readme: input.readme } : {}),
      }))
      .where('name', '=', input.name)
      .execute();
  }

  /** Sets or clears (null) the deprecation message of the given versions. */
  async setDeprecations(trx: Transaction<Database>, name: string, messages: Map<string, string | null>, now: string): Promise<void> {
    for (const [version, message] of messages) {
      await trx.updateTable('versions').set({ deprecated: message }).where('package', '=', name).where('version', '=', version).execute();
    }
    await touch(trx, name, now);
  }

  /**
   * Removes versions, drops the tags that pointed at them and re-points `latest` at the highest
   * remaining stable version, as the public registry does. Blobs stay: they are content-addressed
   * and may be shared, and an orphan blob is harmless.
   */
  async removeVersions(trx: Transaction<Database>, name: string, versions: string[], now: string): Promise<void> {
    if (versions.length === 0) return;
    await tombstone(trx, name, versions, now);
    await trx.deleteFrom('versions').where('package', '=', name).where('version', 'in', versions).execute();
    await trx.deleteFrom('dist_tags').where('package', '=', name).where('version', 'in', versions).execute();
    const remaining = (await trx.selectFrom('versions').select('version').where('package', '=', name).execute()).map((r) => r.version);
    const latest = pickLatest(remaining);
    const hasLatest = await trx.selectFrom('dist_tags').select('tag').where('package', '=', name).where('tag', '=', 'latest').executeTakeFirst();
    if (latest && !hasLatest) await upsertTag(trx, name, 'latest', latest);
    await touch(trx, name, now);
  }

  /** Removes the package with all its versions, tags and owners; its versions stay tombstoned. */
  async removePackage(trx: Transaction<Database>, name: string, now: string): Promise<void> {
    const versions = (await trx.selectFrom('versions').select('version').where('package', '=', name).execute()).map((r) => r.version);
    await tombstone(trx, name, versions, now);
    await trx.deleteFrom('versions').where('package', '=', name).execute();
    await trx.deleteFrom('dist_tags').where('package', '=', name).execute();
    await trx.deleteFrom('package_owners').where('package', '=', name).execute();
    await trx.deleteFrom('packages').where('name', '=', name).execute();
  }

  /** Replaces the owner list (npm owner add/rm); the caller checks that the list is not empty. */
  async setOwners(trx: Transaction<Database>, name: string, userIds: string[], now: string): Promise<void> {
    await trx.deleteFrom('package_owners').where('package', '=', name).execute();
    await trx.insertInto('package_owners').values(userIds.map((user_id) => ({ package: name, user_id }))).execute();
    await touch(trx, name, now);
  }

  async setDistTag(trx: Transaction<Database>, name: string, tag: string, version: string, now: string): Promise<void> {
    await upsertTag(trx, name, tag, version);
    await touch(trx, name, now);
  }

  async removeDistTag(trx: Transaction<Database>, name: string, tag: string, now: string): Promise<boolean> {
    const res = await trx.deleteFrom('dist_tags').where('package', '=', name).where('tag', '=', tag).executeTakeFirst();
    await touch(trx, name, now);
    return Number(res.numDeletedRows) > 0;
  }
}

/** What a publish transaction that failed means: a refusal or a lost race, or null for any other error. */
export function publishOutcome(err: unknown): Exclude<PublishOutcome, 'published'> | null {
  if (err instanceof PublishRefused) return err.outcome;
  if (isUniqueViolation(err)) return 'version-exists';
  return null;
}

class PublishRefused extends Error {
  constructor(readonly outcome: Exclude<PublishOutcome, 'published'>) {
    super(outcome);
  }
}

async function upsertTag(trx: Transaction<Database>, name: string, tag: string, version: string): Promise<void> {
  await trx
    .insertInto('dist_tags')
    .values({ package: name, tag, version })
    .onConflict((oc) => oc.columns(['package', 'tag']).doUpdateSet({ version }))
    .execute();
}

async function tombstone(trx: Transaction<Database>, name: string, versions: string[], now: string): Promise<void> {
  if (versions.length === 0) return;
  await trx
    .insertInto('version_tombstones')
    .values(versions.map((version) => ({ package: name, version, removed_at: now })))
    .onConflict((oc) => oc.columns(['package', 'version']).doNothing())
    .execute();
}

async function touch(trx: Transaction<Database>, name: string, now: string): Promise<void> {
  await trx.updateTable('packages').set((eb) => ({ rev: eb('rev', '+', 1), modified_at: now })).where('name', '=', name).execute();
}

import type { Kysely, Selectable } from 'kysely';
import type { CatalogVersionsTable, Database } from '../storage/schema.js';

export type CatalogRow = Selectable<CatalogVersionsTable>;

/** Everything the catalog is built from, read in a handful of whole-table queries. */
export interface CatalogSources {
  packages: { name: string; description: string | null }[];
  versions: { package: string; version: string; integrity: string; size: number; deprecated: string | null; published_at: string }[];
  distTags: { package: string; tag: string; version: string }[];
  listings: { id: string; name: string; category: string; package: string | null; tags: string; icon: string | null; homepage: string | null; state: string }[];
  rollouts: { plugin: string; channel: string; version: string; previous_version: string | null; percentage_bp: number; state: string; created_at: string }[];
  trust: { package: string; version: string; signed: number; revoked_reason: string | null; revoked_at: string | null }[];
}

const KEEP = 20;

/** SQL of the catalog capability; the same statements serve SQLite and PostgreSQL. */
export class CatalogRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async sources(): Promise<CatalogSources> {
    const [packages, versions, distTags, listings, rollouts, trust] = await Promise.all([
      this.db.selectFrom('packages').select(['name', 'description']).orderBy('name').execute(),
      this.db.selectFrom('versions').select(['package', 'version', 'integrity', 'size', 'deprecated', 'published_at']).execute(),
      this.db.selectFrom('dist_tags').select(['package', 'tag', 'version']).execute(),
      this.db.selectFrom('plugins').select(['id', 'name', 'category', 'package', 'tags', 'icon', 'homepage', 'state']).where('package', 'is not', null).execute(),
      this.db.selectFrom('rollouts').select(['plugin', 'channel', 'version', 'previous_version', 'percentage_bp', 'state', 'created_at']).where('state', 'in', ['active', 'halted']).execute(),
      this.db
        .selectFrom('trust_versions')
        .select((eb) => ['package', 'version', eb.case().when('signature', 'is not', null).then(1).else(0).end().as('signed'), 'revoked_reason', 'revoked_at'])
        .execute(),
    ]);
    return { packages, versions, distTags, listings, rollouts, trust };
  }

  /** Manifests of the given versions, a package at a time (versions never change, so callers cache what they derive). */
  async manifests(keys: { package: string; version: string }[]): Promise<{ package: string; version: string; manifest: string }[]> {
    const byPackage = new Map<string, string[]>();
    for (const k of keys) (byPackage.get(k.package) ?? byPackage.set(k.package, []).get(k.package)!).push(k.version);
    const names = [...byPackage.keys()];
    const out: { package: string; version: string; manifest: string }[] = [];
    // Bounded IN lists: SQLite allows 32,766 bound parameters, PostgreSQL 65,535.
    for (let i = 0; i < names.length; i += 500) {
      const rows = await this.db.selectFrom('versions').select(['package', 'version', 'manifest']).where('package', 'in', names.slice(i, i + 500)).execute();
      out.push(...rows.filter((r) => byPackage.get(r.package)!.includes(r.version)));
    }
    return out;
  }

  async latest(): Promise<CatalogRow | null> {
    return (await this.db.selectFrom('catalog_versions').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst()) ?? null;
  }

  /** false when another replica took this version number first. */
  async insert(row: CatalogRow): Promise<boolean> {
    try {
      await this.db.insertInto('catalog_versions').values(row).execute();
    } catch (err) {
      if ((await this.db.selectFrom('catalog_versions').select('version').where('version', '=', row.version).executeTakeFirst()) !== undefined) return false;
      throw err;
    }
    await this.db.deleteFrom('catalog_versions').where('version', '<=', row.version - KEEP).execute();
    return true;
  }
}

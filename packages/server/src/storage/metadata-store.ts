import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { openDatabase, pingDatabase, type DialectName } from './database.js';
import { migrateToLatest } from './migrations.js';
import { AuthRepository } from './auth-repository.js';
import { PackageRepository } from './package-repository.js';
import { openSearchIndex } from './search/open-search-index.js';
import type { SearchIndex } from './search/search-index.js';

/**
 * Everything Wharf keeps besides blobs, behind one interface with one repository per capability.
 * Both implementations (SQLite and PostgreSQL) go through Kysely; they differ only in the dialect
 * `openDatabase` picks, and the contract tests run every repository against both.
 */
export interface MetadataStore {
  readonly dialect: DialectName;
  readonly auth: AuthRepository;
  readonly packages: PackageRepository;
  /** Full-text index of listings and packages (FTS5 or PostgreSQL full text, by dialect). */
  readonly search: SearchIndex;
  /** For repositories of other capabilities built on the same connection and transactions. */
  readonly db: Kysely<Database>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the store and brings its schema up to date. `target` is a SQLite path or a `postgres://` URL. */
export async function openMetadataStore(target: string): Promise<MetadataStore> {
  const { db, dialect } = openDatabase(target);
  await migrateToLatest(db);
  return {
    dialect,
    db,
    auth: new AuthRepository(db),
    packages: new PackageRepository(db),
    search: openSearchIndex(db, dialect),
    ping: () => pingDatabase(db),
    close: () => db.destroy(),
  };
}

import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { DialectName } from '../database.js';
import type { SearchIndex } from './search-index.js';
import { PostgresSearchIndex } from './postgres-search.js';
import { SqliteSearchIndex } from './sqlite-search.js';

/** The search index for the store's engine: FTS5 embedded, PostgreSQL full text at scale. */
export function openSearchIndex(db: Kysely<Database>, dialect: DialectName): SearchIndex {
  return dialect === 'postgres' ? new PostgresSearchIndex(db) : new SqliteSearchIndex(db);
}

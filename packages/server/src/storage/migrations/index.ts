import type { Migration } from 'kysely';
import { registryTables } from './0001-registry.js';
import { trustTables } from './0002-trust.js';
import { supplyChainTables } from './0003-supply-chain.js';
import { releaseControlTables } from './0004-release-control.js';
import { flagTables } from './0005-flags.js';
import { marketplaceTables } from './0006-marketplace.js';
import { catalogTables } from './0007-catalog.js';
import { sourceTables } from './0008-sources.js';
import { searchPerformance } from './0009-search-perf.js';
import { searchMatch } from './0010-search-match.js';
import { tokenScopes } from './0011-token-scopes.js';
import { setupTokens } from './0015-setup.js';
import { npmSignatures } from './0016-npm-signatures.js';
import { previewKeys } from './0017-preview-keys.js';
import { deltaTables } from './0018-deltas.js';

/**
 * Every schema migration, by name; names sort in the order they run. A capability that needs
 * tables adds a file here and one line below. Only portable column types (text, integer, bigint)
 * are used, so one migration serves SQLite and PostgreSQL.
 */
export const migrations: Record<string, Migration> = {
  '0001-registry': registryTables,
  '0002-trust': trustTables,
  '0003-supply-chain': supplyChainTables,
  '0004-release-control': releaseControlTables,
  '0005-flags': flagTables,
  '0006-marketplace': marketplaceTables,
  '0007-catalog': catalogTables,
  '0008-sources': sourceTables,
  '0009-search-perf': searchPerformance,
  '0010-search-match': searchMatch,
  '0011-token-scopes': tokenScopes,
  '0015-setup': setupTokens,
  '0016-npm-signatures': npmSignatures,
  '0017-preview-keys': previewKeys,
  '0018-deltas': deltaTables,
};

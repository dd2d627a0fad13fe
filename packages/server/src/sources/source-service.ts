import type { Kysely } from 'kysely';
import {
  MARKETPLACE_SOURCE_KEY,
  MarketplaceSourceSchema,
  snapshotContentHash,
  type ClientConfig,
  type MarketplaceSource,
  type MarketplaceSourceHistory,
  type MarketplaceSourceVersion,
  type SourceHealth,
  type SourceStatsReport,
} from '@wharf/core';
import type { Database } from '../storage/schema.js';
import { isUniqueViolation } from '../storage/database.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { DomainEvents } from '../events/domain-events.js';
import { conflict } from '../errors.js';
import { SourceRepository, type ConfigVersionRow } from './source-repository.js';

const HISTORY_LIMIT = 100;

/** What `GET /api/v1/client-config` serves, with the ETag that names it. */
export interface ServedClientConfig {
  body: ClientConfig;
  etag: string;
}

/**
 * The marketplace source configuration as a versioned app config: every change is a new numbered
 * version, written in one transaction with its audit row and announced as `config.changed`. The
 * public client config is kept in memory and dropped on every `config.changed` (from any replica)
 * or feed reset, so the fleet's polling costs no database reads.
 */
export class SourceService {
  readonly repo: SourceRepository;
  private served: Promise<ServedClientConfig | null> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly events: DomainEvents,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = new SourceRepository(db);
  }

  /** Drops the served client config: on every config.changed from any replica (change-steps.ts). */
  forget(): void {
    this.served = null;
  }

  async current(): Promise<MarketplaceSourceVersion | null> {
    const row = await this.repo.current(this.db, MARKETPLACE_SOURCE_KEY);
    return row ? toVersion(row) : null;
  }

  /** Stores `config` as the next version; the same content as the version in force changes nothing (PUT is idempotent). */
  async set(actor: string, config: MarketplaceSource): Promise<MarketplaceSourceVersion> {
    let row: ConfigVersionRow;
    let changed = true;
    try {
      row = await this.db.transaction().execute(async (trx) => {
        const before = await this.repo.current(trx, MARKETPLACE_SOURCE_KEY);
        if (before && before.content_hash === snapshotContentHash(config)) {
          changed = false;
          return before;
        }
        const next: ConfigVersionRow = {
          key: MARKETPLACE_SOURCE_KEY,
          version: (before?.version ?? 0) + 1,
          document: JSON.stringify(config),
          content_hash: snapshotContentHash(config),
          updated_at: this.now().toISOString(),
          updated_by: actor,
        };
        await this.repo.insertVersion(trx, next);
        await this.audit.record({ actor, action: 'config.set', target: `config:${MARKETPLACE_SOURCE_KEY}`, before: before ? { version: before.version, config: JSON.parse(before.document) } : null, after: { version: next.version, config } }, trx);
        return next;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('another change to marketplace_source happened at the same time: retry');
      throw err;
    }
    if (changed) {
      this.served = null;
      await this.events.emit('config.changed', { key: MARKETPLACE_SOURCE_KEY, version: row.version });
    }
    return toVersion(row);
  }

  async history(): Promise<MarketplaceSourceHistory> {
    const rows = await this.repo.history(MARKETPLACE_SOURCE_KEY, HISTORY_LIMIT);
    return { current: rows[0]?.version ?? null, versions: rows.map(toVersion) };
  }

  clientConfig(): Promise<ServedClientConfig | null> {
    this.served ??= this.current().then((v) => (v ? { body: { version: v.version, marketplaceSource: v.config }, etag: `"${v.version}-${v.contentHash.slice(7, 23)}"` } : null));
    // A failed read must not be cached.
    this.served.catch(() => (this.served = null));
    return this.served;
  }

  /** Adds a client's counts to today's; names the current configuration does not define are dropped. */
  async recordStats(report: SourceStatsReport): Promise<number> {
    const current = await this.clientConfig();
    const known = new Set(Object.keys(current?.body.marketplaceSource.sources ?? {}));
    const rows = report.sources.filter((s) => known.has(s.source));
    if (rows.length > 0) await this.db.transaction().execute((trx) => this.repo.addStats(trx, this.now().toISOString().slice(0, 10), rows));
    return rows.length;
  }

  /** Probes, and the fleet's counts of the last `days` days (1: today, UTC). */
  async health(days = 1): Promise<SourceHealth> {
    const since = new Date(this.now().getTime() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    const [current, probes, stats] = await Promise.all([this.current(), this.repo.probes(), this.repo.stats(since)]);
    return {
      configVersion: current?.version ?? null,
      probes: probes.map((p) => ({ source: p.source, url: p.url, ok: p.ok === 1, status: p.status, latencyMs: p.latency_ms, error: p.error, checkedAt: p.checked_at, consecutiveFailures: p.consecutive_failures })),
      stats: stats.map((s) => ({ source: s.source, day: s.day, requests: Number(s.requests), errors: Number(s.errors), rateLimited: Number(s.rate_limited), fallbacks: Number(s.fallbacks) })),
    };
  }
}

function toVersion(row: ConfigVersionRow): MarketplaceSourceVersion {
  return { version: row.version, config: MarketplaceSourceSchema.parse(JSON.parse(row.document)), contentHash: row.content_hash, updatedAt: row.updated_at, updatedBy: row.updated_by };
}

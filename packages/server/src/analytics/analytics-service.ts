import { randomUUID } from 'node:crypto';
import type { AnalyticsReport } from '@wharf/core';
import { badRequest } from '../errors.js';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { AnalyticsRepository } from './analytics-repository.js';

/** How long raw events are kept (GDPR data minimisation; the daily sums are not personal and stay). */
export const RETENTION_DAYS = 90;
const DAY_MS = 86_400_000;

/**
 * Opt-in usage counters. A report is accepted only with the client's explicit `optIn: true`; it is
 * stored without the caller's account, address or user agent, with its arrival time rounded down to
 * the hour so that it cannot be matched with request logs.
 */
export class AnalyticsService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly repo: AnalyticsRepository,
    /** What analytics needs of the marketplace: whether a listing is published (only those are counted). */
    private readonly listings: { getListing(id: string): Promise<{ state: string } | null | undefined> },
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Counters for unknown or unpublished plugins are dropped; returns how many were kept. */
  async record(report: AnalyticsReport): Promise<{ accepted: number }> {
    const now = this.now();
    const today = now.toISOString().slice(0, 10);
    const day = report.day ?? today;
    const oldest = new Date(now.getTime() - RETENTION_DAYS * DAY_MS).toISOString().slice(0, 10);
    const tomorrow = new Date(now.getTime() + DAY_MS).toISOString().slice(0, 10);
    if (day < oldest || day > tomorrow) throw badRequest(`day ${day} is outside the ${RETENTION_DAYS}-day window the server keeps (${oldest} to ${tomorrow})`);
    const receivedAt = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000).toISOString();
    const published = new Set<string>();
    for (const id of new Set(report.counters.map((c) => c.plugin))) {
      if ((await this.listings.getListing(id))?.state === 'published') published.add(id);
    }
    const events = report.counters
      .filter((c) => published.has(c.plugin) && c.installs + c.activations + c.errors > 0)
      .map((c) => ({ id: randomUUID(), plugin_id: c.plugin, version: c.version ?? null, day, installs: c.installs, activations: c.activations, errors: c.errors, received_at: receivedAt }));
    await this.db.transaction().execute((trx) => this.repo.record(trx, events));
    return { accepted: events.length };
  }

  async stats(pluginId: string, days: number): Promise<{ id: string; days: { day: string; installs: number; activations: number; errors: number }[] }> {
    const since = new Date(this.now().getTime() - (days - 1) * DAY_MS).toISOString().slice(0, 10);
    return { id: pluginId, days: await this.repo.daily(pluginId, since) };
  }

  /** Removes raw events older than the retention period; returns how many went. */
  async purgeExpired(): Promise<number> {
    return this.repo.purgeBefore(new Date(this.now().getTime() - RETENTION_DAYS * DAY_MS).toISOString());
  }
}

import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { resolveRolloutVersion, shouldRollBack, type HealthReport, type PluginHealth, type ResolvedVersion, type Rollout, type RolloutCreate, type Channel } from '@wharf/core';
import type { Database } from '../storage/schema.js';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { DomainEvents } from '../events/domain-events.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { OPEN_STATES, RolloutRepository, type HealthRow, type RolloutRow } from './rollout-repository.js';

/** The actor of changes the server makes by itself. */
export const SYSTEM_ACTOR = 'system';

type Transition = 'raise' | 'halt' | 'resume' | 'rollback';

/**
 * Staged rollouts over the channel dist-tags (alpha, beta, stable). A rollout serves `version` to a
 * percentage of install buckets and the channel's previous version to the rest; reaching 100 %
 * completes it and moves the dist-tag. Health reports feed per-version counters; when a rollout's
 * version fails its threshold against the previous version, the server rolls it back itself.
 */
export class RolloutService {
  private readonly repo: RolloutRepository;

  constructor(
    private readonly store: MetadataStore,
    /** Moves a channel's dist-tag through the registry's change path (RegistryService). */
    private readonly tags: { moveDistTag(name: string, tag: string, version: string): Promise<void> },
    private readonly audit: AuditLog,
    private readonly events: DomainEvents,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = new RolloutRepository(store.db);
  }

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  async create(actor: string, input: RolloutCreate): Promise<Rollout> {
    const doc = await this.store.packages.getDocument(input.plugin);
    if (!doc) throw notFound(`package ${input.plugin} not found`);
    if (!doc.versions.some((v) => v.version === input.version)) throw notFound(`version ${input.version} of ${input.plugin} does not exist`);
    const previous = doc.tags[input.channel] ?? null;
    if (previous === input.version) throw badRequest(`${input.plugin}@${input.channel} already is ${input.version}`);
    const at = this.now().toISOString();
    const row: RolloutRow = {
      id: randomUUID(),
      plugin: input.plugin,
      channel: input.channel,
      version: input.version,
      previous_version: previous,
      percentage_bp: Math.round(input.percentage * 100),
      state: 'active',
      error_threshold_bp: Math.round(input.errorThreshold * 10_000),
      min_sample: input.minSample,
      reason: null,
      created_at: at,
      updated_at: at,
    };
    await this.db.transaction().execute(async (trx) => {
      const open = (await this.repo.open(trx, input.plugin)).find((r) => r.channel === input.channel);
      if (open) throw conflict(`${input.plugin}@${input.channel} already has an open rollout (${open.id}, ${open.state}): complete, halt or roll it back first`);
      await this.repo.insert(trx, row);
      await this.audit.record({ actor, action: 'rollouts.create', target: target(row), before: null, after: toRollout(row) }, trx);
    });
    return this.finish(row.percentage_bp === 10_000 ? await this.complete(actor, row) : row);
  }

  async raise(actor: string, id: string, percentage: number): Promise<Rollout> {
    const bp = Math.round(percentage * 100);
    const row = await this.transition(actor, id, 'raise', (r) => {
      if (r.state !== 'active') throw conflict(`rollout ${id} is ${r.state}: only an active rollout can be raised`);
      // Lowering would move installs back and forth between versions: halt or roll back instead.
      if (bp < r.percentage_bp) throw badRequest(`a rollout only goes up (${r.percentage_bp / 100}% now): halt or roll it back to withdraw it`);
      return { percentage_bp: bp };
    });
    return this.finish(row.percentage_bp === 10_000 ? await this.complete(actor, row) : row);
  }

  async halt(actor: string, id: string): Promise<Rollout> {
    return this.finish(await this.transition(actor, id, 'halt', (r) => (r.state === 'active' ? { state: 'halted' } : refuse(id, r, 'halted'))));
  }

  async resume(actor: string, id: string): Promise<Rollout> {
    return this.finish(await this.transition(actor, id, 'resume', (r) => (r.state === 'halted' ? { state: 'active', reason: null } : refuse(id, r, 'resumed'))));
  }

  async rollback(actor: string, id: string, reason: string): Promise<Rollout> {
    return this.finish(await this.transition(actor, id, 'rollback', (r) => (OPEN_STATES.includes(r.state) ? { state: 'rolled_back', reason } : refuse(id, r, 'rolled back'))));
  }

  async get(id: string): Promise<Rollout> {
    const row = await this.repo.get(this.db, id);
    if (!row) throw notFound(`rollout ${id} not found`);
    return toRollout(row);
  }

  async list(filter: { plugin?: string | undefined; state?: string | undefined }): Promise<Rollout[]> {
    return (await this.repo.list(filter)).map(toRollout);
  }

  async resolve(plugin: string, channel: Channel, installId: string): Promise<ResolvedVersion> {
    const [rollout, tag] = await Promise.all([this.repo.latest(this.db, plugin, channel), this.repo.channelTag(this.db, plugin, channel)]);
    const decided = resolveRolloutVersion(rollout ? toRollout(rollout) : null, tag, installId);
    if (decided.version === null) throw notFound(`${plugin} has no version on channel ${channel}`);
    const open = rollout !== null && OPEN_STATES.includes(rollout.state);
    return { plugin, channel, version: decided.version, rolloutId: open ? rollout.id : null, inRollout: decided.inRollout };
  }

  /**
   * Adds anonymous, aggregated counts, then checks every open rollout of the reported plugins:
   * those whose version now fails its threshold are rolled back, by the `system` actor.
   */
  async report(report: HealthReport): Promise<{ accepted: number; rolledBack: string[] }> {
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      for (const r of report.reports) await this.repo.addHealth(trx, r.plugin, r.version, r.activations, r.errors, at);
    });
    const rolledBack: string[] = [];
    for (const plugin of new Set(report.reports.map((r) => r.plugin))) {
      for (const rollout of await this.repo.open(this.db, plugin)) {
        const fresh = await this.repo.health(this.db, plugin, rollout.version);
        const previous = rollout.previous_version === null ? null : await this.repo.health(this.db, plugin, rollout.previous_version);
        if (!fresh) continue;
        const rule = { errorThreshold: rollout.error_threshold_bp / 10_000, minSample: rollout.min_sample };
        // A previous version nobody reported on yet counts as an unmet sample, not as a perfect one.
        const baseline = previous ? counts(previous) : rollout.previous_version === null ? null : { activations: 0, errors: 0 };
        if (!shouldRollBack(counts(fresh), baseline, rule)) continue;
        const reason = `automatic: error rate ${rate(fresh)} vs ${previous ? rate(previous) : 'n/a'} for ${rollout.previous_version ?? 'no previous version'} (threshold ${rule.errorThreshold}, min sample ${rule.minSample})`;
        try {
          await this.rollback(SYSTEM_ACTOR, rollout.id, reason);
          rolledBack.push(rollout.id);
        } catch (err) {
          // An operator (or a concurrent report) closed it first: nothing left to do.
          if ((err as { statusCode?: number }).statusCode !== 409) throw err;
        }
      }
    }
    return { accepted: report.reports.length, rolledBack };
  }

  async health(plugin: string): Promise<PluginHealth> {
    const rows = await this.repo.healthOf(plugin);
    return { plugin, versions: rows.map((r) => ({ version: r.version, ...counts(r), errorRate: Number(rate(r)) })) };
  }

  private async transition(actor: string, id: string, verb: Transition, decide: (r: RolloutRow) => Partial<RolloutRow>): Promise<RolloutRow> {
    return this.db.transaction().execute(async (trx) => {
      const row = await this.repo.get(trx, id);
      if (!row) throw notFound(`rollout ${id} not found`);
      const change = { ...decide(row), updated_at: this.now().toISOString() };
      if (!(await this.repo.transition(trx, id, row.state, change))) throw conflict(`rollout ${id} changed meanwhile: retry`);
      const next = { ...row, ...change };
      await this.audit.record({ actor, action: `rollouts.${verb}`, target: target(row), before: toRollout(row), after: toRollout(next) }, trx);
      return next;
    });
  }

  /** 100 %: the channel's dist-tag moves to the new version and the rollout is done. */
  private async complete(actor: string, row: RolloutRow): Promise<RolloutRow> {
    await this.tags.moveDistTag(row.plugin, row.channel, row.version);
    return this.transition(actor, row.id, 'raise', () => ({ state: 'completed' }));
  }

  private async finish(row: RolloutRow): Promise<Rollout> {
    const rollout = toRollout(row);
    await this.events.emit('rollout.changed', { id: rollout.id, plugin: rollout.plugin, channel: rollout.channel, state: rollout.state, percentage: rollout.percentage });
    return rollout;
  }
}

function refuse(id: string, r: RolloutRow, what: string): never {
  throw conflict(`rollout ${id} is ${r.state} and cannot be ${what}`);
}

const target = (r: RolloutRow) => `rollout:${r.plugin}@${r.channel}#${r.id}`;
const counts = (h: HealthRow) => ({ activations: Number(h.activations), errors: Number(h.errors) });
const rate = (h: HealthRow) => {
  const c = counts(h);
  return c.activations + c.errors === 0 ? '0' : (c.errors / (c.activations + c.errors)).toFixed(4);
};

export function toRollout(r: RolloutRow): Rollout {
  return {
    id: r.id,
    plugin: r.plugin,
    channel: r.channel as Channel,
    version: r.version,
    previousVersion: r.previous_version,
    percentage: r.percentage_bp / 100,
    state: r.state as Rollout['state'],
    errorThreshold: r.error_threshold_bp / 10_000,
    minSample: r.min_sample,
    reason: r.reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import {
  ClientFeaturesSchema,
  flagSetProblem,
  flagStatus,
  FlagEvaluator,
  FlagKeySchema,
  FlagPatchError,
  patchFlag,
  servedFlagSet,
  type ClientFeatures,
  type Feature,
  type FlagPatch,
  type Segment,
  type FlagStatus,
} from '@wharf/core';
import type { Database } from '../storage/schema.js';
import { isUniqueViolation } from '../storage/database.js';
import type { DomainEvents } from '../events/domain-events.js';
import { badRequest, conflict, HttpError, notFound } from '../errors.js';
import { FlagRepository, type FlagRevisionRow } from './flag-repository.js';

/** What the service needs of the audit log: one row per change, written in the change's transaction. */
export interface AuditSink {
  record(entry: { actor: string; action: string; target: string; before: unknown; after: unknown }, trx?: Transaction<Database>): Promise<unknown>;
}

/** One revision of the flag set, ready to serve: definition, kill switches, compiled evaluator. */
export interface FlagSnapshot {
  revision: number;
  updatedAt: string | null;
  /** As operators wrote it (kill switches not applied). */
  definition: ClientFeatures;
  forcedOff: ReadonlySet<string>;
  /** What clients receive and are evaluated against: force-off flags served disabled. */
  served: ClientFeatures;
  evaluator: FlagEvaluator;
  /** Strong validator of this revision, for GET and the OFREP bulk endpoint. */
  etag: string;
}

/** What a revision stores: the set without its version, which is the revision itself. */
interface StoredDefinition {
  features: Feature[];
  segments: Segment[];
}

const MAX_ATTEMPTS = 3;

/**
 * The flag set: every change appends a revision (version number = revision), is audited in the same
 * transaction, then announced as `flags.changed`. Reads come from a compiled snapshot that any
 * replica drops when it hears that event, so evaluation never touches the database.
 */
export class FlagService {
  private readonly repo: FlagRepository;
  private cached: Promise<FlagSnapshot> | null = null;
  /** Bumped on every invalidation: a load that started before one must not become the cache. */
  private generation = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditSink,
    private readonly events: DomainEvents,
  ) {
    this.repo = new FlagRepository(db);
  }

  snapshot(): Promise<FlagSnapshot> {
    if (this.cached) return this.cached;
    const generation = this.generation;
    const loading = this.repo.latest().then(toSnapshot);
    this.cached = loading;
    loading.then(
      () => undefined,
      () => {
        if (this.generation === generation) this.cached = null;
      },
    );
    return loading;
  }

  /** Replaces the whole definition; kill switches stay on for flags still in the set. */
  async replace(input: unknown, actor: string, ifMatch?: string): Promise<FlagSnapshot> {
    const parsed = ClientFeaturesSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw badRequest(`invalid flag set${issue.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue.message}`);
    }
    for (const [i, f] of parsed.data.features.entries()) {
      const key = FlagKeySchema.safeParse(f.name);
      if (!key.success) throw badRequest(`invalid flag set at features.${i}.name: ${key.error.issues[0]!.message}`);
    }
    const problem = flagSetProblem(parsed.data);
    if (problem) throw badRequest(`invalid flag set: ${problem}`);
    const { version: _ignored, ...definition } = parsed.data;
    return this.change(actor, 'flags.replace', 'flags', (current) => {
      if (ifMatch !== undefined && ifMatch !== etagOf(current.revision)) throw new HttpError(412, `the flag set changed since you read it: it is at revision ${current.revision}`);
      const keys = new Set(definition.features.map((f) => f.name));
      const forcedOff = [...current.forcedOff].filter((k) => keys.has(k));
      return {
        definition: { features: definition.features, segments: definition.segments ?? [] },
        forcedOff,
        before: { features: current.definition.features, segments: current.definition.segments, forcedOff: [...current.forcedOff] },
        after: { features: definition.features, segments: definition.segments ?? [], forcedOff },
        changed: changedKeys(current.definition.features, definition.features),
      };
    });
  }

  /** Sets one flag's state, percentage or variants; a state creates the flag when it does not exist. */
  async patch(key: string, patch: FlagPatch, actor: string): Promise<{ snapshot: FlagSnapshot; feature: Feature; status: FlagStatus }> {
    const snapshot = await this.change(actor, 'flags.update', `flag:${key}`, (current) => {
      const existing = current.definition.features.find((f) => f.name === key);
      let result;
      try {
        result = patchFlag(key, existing, current.forcedOff.has(key), patch);
      } catch (err) {
        // Only a patch that cannot create (no state) makes a missing flag a 404; the rest is bad input.
        if (err instanceof FlagPatchError) throw !existing && patch.state === undefined ? notFound(err.message) : badRequest(err.message);
        throw err;
      }
      const features = existing ? current.definition.features.map((f) => (f.name === key ? result.feature : f)) : [...current.definition.features, result.feature];
      const definition = { features, segments: current.definition.segments ?? [] };
      const problem = flagSetProblem({ version: 1, ...definition });
      if (problem) throw badRequest(`invalid flag: ${problem}`);
      const forcedOff = new Set(current.forcedOff);
      if (result.forcedOff) forcedOff.add(key);
      else forcedOff.delete(key);
      return {
        definition,
        forcedOff: [...forcedOff],
        before: existing ? { feature: existing, ...flagStatus(existing, current.forcedOff.has(key)) } : null,
        after: { feature: result.feature, ...flagStatus(result.feature, result.forcedOff) },
        changed: [key],
      };
    });
    const feature = snapshot.definition.features.find((f) => f.name === key)!;
    return { snapshot, feature, status: flagStatus(feature, snapshot.forcedOff.has(key)) };
  }

  /** Drops the cached flag set: after this replica's change, and on every flags.changed from any replica (change-steps.ts). */
  invalidate(): void {
    this.generation++;
    this.cached = null;
  }

  private async change(
    actor: string,
    action: string,
    target: string,
    apply: (current: FlagSnapshot) => { definition: StoredDefinition; forcedOff: string[]; before: unknown; after: unknown; changed: string[] },
  ): Promise<FlagSnapshot> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { row, changed } = await this.db.transaction().execute(async (trx) => {
          const current = toSnapshot(await this.repo.latest(trx));
          const next = apply(current);
          const row: FlagRevisionRow = {
            revision: current.revision + 1,
            definition: JSON.stringify(next.definition),
            forced_off: JSON.stringify(next.forcedOff),
            created_at: new Date().toISOString(),
            actor,
          };
          await this.repo.append(trx, row);
          await this.audit.record({ actor, action, target, before: { revision: current.revision, ...(next.before as object) }, after: { revision: row.revision, ...(next.after as object) } }, trx);
          return { row, changed: next.changed };
        });
        this.invalidate();
        const snapshot = toSnapshot(row);
        // Event data stays small (NOTIFY payload limit): clients refetch the set they follow.
        await this.events.emit('flags.changed', { version: row.revision, keys: changed.length <= 50 ? changed : undefined });
        return snapshot;
      } catch (err) {
        if (isUniqueViolation(err)) {
          if (attempt < MAX_ATTEMPTS) continue;
          throw conflict('the flag set is being changed concurrently: retry');
        }
        throw err;
      }
    }
  }
}

export const etagOf = (revision: number) => `"flags-${revision}"`;

function toSnapshot(row: FlagRevisionRow | null): FlagSnapshot {
  const revision = row?.revision ?? 0;
  const stored: StoredDefinition = row ? (JSON.parse(row.definition) as StoredDefinition) : { features: [], segments: [] };
  const definition: ClientFeatures = { version: revision, features: stored.features, segments: stored.segments ?? [] };
  const forcedOff = new Set<string>(row ? (JSON.parse(row.forced_off) as string[]) : []);
  const served = servedFlagSet(definition, forcedOff);
  return { revision, updatedAt: row?.created_at ?? null, definition, forcedOff, served, evaluator: new FlagEvaluator(served), etag: etagOf(revision) };
}

/** Flags added, removed or changed between two definitions (by their JSON). */
function changedKeys(before: Feature[], after: Feature[]): string[] {
  const old = new Map(before.map((f) => [f.name, JSON.stringify(f)]));
  const keys = new Set<string>();
  for (const f of after) if (old.get(f.name) !== JSON.stringify(f)) keys.add(f.name);
  for (const name of old.keys()) if (!after.some((f) => f.name === name)) keys.add(name);
  return [...keys];
}

/** A short digest for ETags that depend on a request's content (the OFREP context). */
export function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

import type { ReleasePolicy, Rollout } from '@wharf/core';
import type { Principal } from '../access/principal.js';

export interface PublishedVersion {
  name: string;
  version: string;
  tags: string[];
  integrity: string;
  files: { path: string; size: number }[];
  /** The sha512 SRI of every regular file, by package-relative path (read once, at publish). */
  fileHashes: Record<string, string>;
  packageJson: Record<string, unknown>;
  tarball: Buffer;
  principal: Principal;
}

/** A publish that passed the registry's own checks, offered to capabilities before anything is stored. */
export interface PublishCandidate {
  name: string;
  version: string;
  /** The version document as sent by the client. */
  manifest: Record<string, unknown>;
  packageJson: Record<string, unknown>;
  /** The tarball's `sha512-…` SRI. */
  integrity: string;
  files: { path: string; size: number }[];
  fileHashes: Record<string, string>;
  tarball: Buffer;
  principal: Principal;
}

/**
 * Every change one capability makes that others react to, as the steps that react to it see it.
 * Steps of another replica hear of the same changes through the change feed (storage/change-feed.ts)
 * and the event bus (events/event-bus.ts), which also carries them to browsers; this is the
 * in-process path they start from.
 */
export interface DomainEventMap {
  /** A publish that passed the registry's own checks, before anything is stored: validators may refuse it. */
  'version.publishing': PublishCandidate;
  /** A version committed. */
  'version.published': PublishedVersion;
  /** A package document changed: publish, unpublish, dist-tag, deprecation, owners, account erasure. */
  'package.changed': { name: string };
  /** Deltas to a version were built and some are worth offering: signed metadata must list them. */
  'deltas.offered': { name: string; to: string };
  /** A new signed targets version: a publish, an unpublish, a revocation or a new root changed what is trusted. */
  'targets.issued': Record<string, never>;
  /** A new signed catalog version was stored. */
  'catalog.changed': { version: number };

  // Control-plane changes. Their payloads are what every replica and browser receives on the event bus
  // (GET /events), so they stay small (PostgreSQL's NOTIFY limit): subscribers refetch.
  /** A new flag set revision; `keys` names the changed flags when there are at most 50. */
  'flags.changed': { version: number; keys?: string[] };
  /** A rollout was started, raised, halted, resumed, completed or rolled back. */
  'rollout.changed': Pick<Rollout, 'id' | 'plugin' | 'channel' | 'state' | 'percentage'>;
  /** A config snapshot version was published (or an earlier one republished by a rollback). */
  'snapshot.published': { version: number; contentHash: string };
  /** The version gate's policy changed. */
  'release.changed': ReleasePolicy;
  /** A new version of a versioned app config (the marketplace source). */
  'config.changed': { key: string; version: number };
}

/** The changes announced to every replica's subscribers and to browsers and SDKs, as they are named there. */
export const ANNOUNCED = ['catalog.changed', 'flags.changed', 'rollout.changed', 'snapshot.published', 'release.changed', 'config.changed'] as const satisfies readonly DomainEventType[];

export type DomainEventType = keyof DomainEventMap;
type Step<K extends DomainEventType> = { name: string; run: (payload: DomainEventMap[K]) => unknown };

/** A validator: may refuse the change by throwing (an HttpError is the answer). Runs before the change is stored. */
export type Validated = 'version.publishing';

/**
 * The one way a part of the server reacts to a change made by another. Each step has a name and
 * runs in the order it was registered: `registerChangeSteps` (change-steps.ts) registers them all, in
 * one place, so the order is read there rather than inferred from construction order.
 *
 * Validators run in order and the first refusal stops the change. Listeners run after commit, each
 * awaited (a reader right after a publish sees its search entry and signed metadata), and none can
 * undo the change: a failure is reported with the step's name and the step repairs itself later.
 */
export class DomainEvents {
  private readonly validators = new Map<DomainEventType, Step<never>[]>();
  private readonly listeners = new Map<DomainEventType, Step<never>[]>();

  constructor(private readonly stepFailed: (err: unknown, step: string, type: DomainEventType, payload: unknown) => void) {}

  validate<K extends Validated>(type: K, name: string, run: (payload: DomainEventMap[K]) => Promise<void>): void {
    this.add(this.validators, type, { name, run });
  }

  on<K extends DomainEventType>(type: K, name: string, run: (payload: DomainEventMap[K]) => unknown): void {
    this.add(this.listeners, type, { name, run });
  }

  /** Runs the validators of `type`; throws the first refusal. */
  async check<K extends Validated>(type: K, payload: DomainEventMap[K]): Promise<void> {
    for (const step of this.steps(this.validators, type)) await step.run(payload);
  }

  /** Runs the listeners of `type`, in order, after the change is committed. Never throws. */
  async emit<K extends DomainEventType>(type: K, payload: DomainEventMap[K]): Promise<void> {
    for (const step of this.steps(this.listeners, type)) {
      try {
        await step.run(payload);
      } catch (err) {
        this.stepFailed(err, step.name, type, payload);
      }
    }
  }

  /** Every registered step, in the order it runs: what `docs/architecture.md` describes and a test checks. */
  describe(): { type: DomainEventType; kind: 'validator' | 'listener'; step: string }[] {
    const list = (map: Map<DomainEventType, Step<never>[]>, kind: 'validator' | 'listener') =>
      [...map].flatMap(([type, steps]) => steps.map((s) => ({ type, kind, step: s.name })));
    return [...list(this.validators, 'validator'), ...list(this.listeners, 'listener')];
  }

  private add<K extends DomainEventType>(map: Map<DomainEventType, Step<never>[]>, type: K, step: Step<K>): void {
    const steps = map.get(type) ?? [];
    steps.push(step as unknown as Step<never>);
    map.set(type, steps);
  }

  private steps<K extends DomainEventType>(map: Map<DomainEventType, Step<never>[]>, type: K): Step<K>[] {
    return (map.get(type) ?? []) as unknown as Step<K>[];
  }
}

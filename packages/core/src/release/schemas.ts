import * as z from 'zod/mini';

export const CHANNELS = ['alpha', 'beta', 'stable'] as const;
export const ChannelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof ChannelSchema>;

/**
 * active: the percentage of buckets gets `version`, the others `previousVersion`.
 * halted: frozen, nobody new is added (buckets already in keep the new version); raise is refused until resume.
 * completed: reached 100 %; the channel's dist-tag now points at `version`.
 * rolled_back: everyone gets `previousVersion` again (by hand or automatically).
 */
export const ROLLOUT_STATES = ['active', 'halted', 'completed', 'rolled_back'] as const;
export const RolloutStateSchema = z.enum(ROLLOUT_STATES);
export type RolloutState = z.infer<typeof RolloutStateSchema>;

const Percentage = z.number().check(z.gte(0), z.lte(100), z.multipleOf(0.01));
const PluginName = z.string().check(z.minLength(1), z.maxLength(214));
const Version = z.string().check(z.minLength(1), z.maxLength(256));

export const RolloutCreateSchema = z.object({
  plugin: PluginName,
  channel: ChannelSchema,
  version: Version,
  percentage: Percentage,
  /** Largest tolerated excess of the new version's error rate over the previous one's (0.05 = 5 points). */
  errorThreshold: z._default(z.number().check(z.gte(0), z.lte(1)), 0.05),
  /** Reports (activations + errors) each version needs before the comparison counts. */
  minSample: z._default(z.int().check(z.gte(1)), 100),
});
export type RolloutCreate = z.infer<typeof RolloutCreateSchema>;

export const RolloutRaiseSchema = z.object({ percentage: Percentage });

export const RolloutSchema = z.object({
  id: z.string(),
  plugin: PluginName,
  channel: ChannelSchema,
  version: Version,
  previousVersion: z.nullable(Version),
  percentage: z.number(),
  state: RolloutStateSchema,
  errorThreshold: z.number(),
  minSample: z.int(),
  reason: z.nullable(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Rollout = z.infer<typeof RolloutSchema>;

export const RolloutListSchema = z.object({ rollouts: z.array(RolloutSchema) });

/** What a client receives for its install id. */
export const ResolvedVersionSchema = z.object({
  plugin: PluginName,
  channel: ChannelSchema,
  version: Version,
  /** The rollout that decided, when one did. */
  rolloutId: z.nullable(z.string()),
  inRollout: z.boolean(),
});
export type ResolvedVersion = z.infer<typeof ResolvedVersionSchema>;

export const ResolveQuerySchema = z.object({ plugin: PluginName, channel: ChannelSchema, installId: z.string().check(z.minLength(1), z.maxLength(256)) });

/**
 * Opt-in health report, already aggregated by the SDK over its reporting window: counts only, no
 * install id, user or address. `activations` counts successful activations; `errors` counts failed
 * activations plus runtime errors.
 */
export const HealthReportSchema = z.object({
  reports: z
    .array(
      z.object({
        plugin: PluginName,
        version: Version,
        activations: z.int().check(z.gte(0), z.lte(1_000_000)),
        errors: z.int().check(z.gte(0), z.lte(1_000_000)),
      }),
    )
    .check(z.minLength(1), z.maxLength(100)),
});
export type HealthReport = z.infer<typeof HealthReportSchema>;

/** The answer to a health report: how many of its version counts were taken. */
export const HealthReportResultSchema = z.object({ accepted: z.int().check(z.gte(0)) });
export type HealthReportResult = z.infer<typeof HealthReportResultSchema>;

/** `GET /api/v1/rollouts/health`: the counts of each reported version of a plugin; `errorRate` is errors / (activations + errors). */
export const PluginHealthSchema = z.object({
  plugin: z.string(),
  versions: z.array(z.object({ version: z.string(), activations: z.int(), errors: z.int(), errorRate: z.number().check(z.gte(0), z.lte(1)) })),
});
export type PluginHealth = z.infer<typeof PluginHealthSchema>;

export interface VersionHealth {
  activations: number;
  errors: number;
}

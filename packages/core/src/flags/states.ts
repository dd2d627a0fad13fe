import * as z from 'zod/mini';
import { ClientFeaturesSchema, FeatureSchema, VariantSchema, type ClientFeatures, type Feature } from './schemas.js';

/**
 * The four states the console and CLI offer, mapped onto Unleash's model: ON is one `default`
 * strategy, OFF is `enabled: false`, ROLLOUT is one `flexibleRollout` (sticky on the targeting key:
 * userId, else sessionId), FORCE_OFF is a kill switch kept beside the definition that serves the flag
 * disabled whatever its definition says, and survives a whole-set replace until lifted by a new state.
 * A flag whose definition is anything else (written through the Unleash format) reads as CUSTOM.
 */
export const FLAG_STATES = ['ON', 'OFF', 'ROLLOUT', 'FORCE_OFF'] as const;
export const FlagStateSchema = z.enum(FLAG_STATES);
export type FlagState = z.infer<typeof FlagStateSchema>;

export const FlagStatusSchema = z.object({
  state: z.enum([...FLAG_STATES, 'CUSTOM']),
  /** For ROLLOUT: the share of targeting keys that get the flag, 0..100. */
  percentage: z.optional(z.number()),
});
export type FlagStatus = z.infer<typeof FlagStatusSchema>;

export const FlagPatchSchema = z
  .strictObject({
    state: z.optional(FlagStateSchema),
    percentage: z.optional(z.number().check(z.gte(0), z.lte(100))),
    variants: z.optional(z.array(VariantSchema).check(z.maxLength(100))),
  })
  .check(z.refine((p) => p.state !== undefined || p.percentage !== undefined || p.variants !== undefined, 'give at least one of state, percentage, variants'));
export type FlagPatch = z.infer<typeof FlagPatchSchema>;

/** The answer to `PATCH /api/v1/flags/:key`: the flag's new status, the set's new revision and the flag's definition. */
export const FlagPatchResultSchema = z.extend(FlagStatusSchema, { key: z.string(), version: z.int(), feature: FeatureSchema });
export type FlagPatchResult = z.infer<typeof FlagPatchResultSchema>;

/** `GET /api/v1/flags`: the set as written, with each flag's Wharf state. */
export const FlagAdminViewSchema = z.extend(ClientFeaturesSchema, { states: z.record(z.string(), FlagStatusSchema) });
export type FlagAdminView = z.infer<typeof FlagAdminViewSchema>;

export function flagStatus(feature: Feature, forcedOff: boolean): FlagStatus {
  if (forcedOff) return { state: 'FORCE_OFF' };
  if (!feature.enabled) return { state: 'OFF' };
  const strategies = (feature.strategies ?? []).filter((s) => s.disabled !== true);
  if (strategies.length === 0) return { state: 'ON' };
  if (strategies.length !== 1) return { state: 'CUSTOM' };
  const only = strategies[0]!;
  if ((only.constraints?.length ?? 0) > 0 || (only.segments?.length ?? 0) > 0 || (only.variants?.length ?? 0) > 0) return { state: 'CUSTOM' };
  if (only.name === 'default') return { state: 'ON' };
  const stickiness = only.parameters?.stickiness;
  if (only.name === 'flexibleRollout' && (stickiness === undefined || stickiness === 'default')) {
    const percentage = Number(only.parameters?.rollout ?? 0);
    return Number.isFinite(percentage) ? { state: 'ROLLOUT', percentage } : { state: 'CUSTOM' };
  }
  return { state: 'CUSTOM' };
}

export class FlagPatchError extends Error {}

/**
 * Applies a state/percentage/variants change to one flag (created when it does not exist and a
 * state is given). Returns the new definition and whether the kill switch is on.
 */
export function patchFlag(key: string, current: Feature | undefined, forcedOff: boolean, patch: FlagPatch): { feature: Feature; forcedOff: boolean } {
  if (!current && patch.state === undefined) throw new FlagPatchError(`flag ${key} does not exist: give a state to create it`);
  let feature: Feature = current ? structuredClone(current) : { name: key, enabled: false, strategies: [] };
  let killed = forcedOff;
  const state = patch.state;
  if (state === 'FORCE_OFF') killed = true;
  else if (state !== undefined) {
    killed = false;
    if (state === 'ON') feature = { ...feature, enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [] }] };
    if (state === 'OFF') feature = { ...feature, enabled: false };
    if (state === 'ROLLOUT') {
      const before = current ? flagStatus(current, false) : undefined;
      const percentage = patch.percentage ?? (before?.state === 'ROLLOUT' ? before.percentage : undefined);
      if (percentage === undefined) throw new FlagPatchError('ROLLOUT needs a percentage');
      feature = { ...feature, enabled: true, strategies: [rolloutStrategy(key, percentage)] };
    }
  }
  if (patch.percentage !== undefined && state !== 'ROLLOUT') {
    if (state !== undefined || flagStatus(feature, false).state !== 'ROLLOUT') throw new FlagPatchError('percentage applies only to a flag in the ROLLOUT state');
    feature = { ...feature, strategies: [rolloutStrategy(key, patch.percentage)] };
  }
  if (patch.variants !== undefined) feature = { ...feature, variants: patch.variants };
  return { feature, forcedOff: killed };
}

function rolloutStrategy(key: string, percentage: number) {
  return { name: 'flexibleRollout', parameters: { rollout: String(percentage), stickiness: 'default', groupId: key }, constraints: [] };
}

/** What clients receive: the definition, with every force-off flag served disabled. */
export function servedFlagSet(definition: ClientFeatures, forcedOff: ReadonlySet<string>): ClientFeatures {
  if (forcedOff.size === 0) return definition;
  return { ...definition, features: definition.features.map((f) => (forcedOff.has(f.name) ? { ...f, enabled: false } : f)) };
}

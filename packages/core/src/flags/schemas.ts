import { z } from 'zod';

/**
 * Unleash's client-features format (`GET /api/client/features`), which Wharf stores and serves
 * flags in. Objects are loose: fields Unleash adds (project, type, impressionData…) travel untouched.
 */

export const ConstraintSchema = z.looseObject({
  contextName: z.string().min(1),
  /** Unknown operators are accepted here and never match, as every Unleash SDK does. */
  operator: z.string().min(1),
  values: z.array(z.string()).optional(),
  value: z.string().optional(),
  caseInsensitive: z.boolean().optional(),
  inverted: z.boolean().optional(),
});

export const PayloadSchema = z.looseObject({
  type: z.string().min(1),
  value: z.string(),
});

export const OverrideSchema = z.looseObject({
  contextName: z.string().min(1),
  values: z.array(z.string()),
});

export const VariantSchema = z.looseObject({
  name: z.string().min(1),
  weight: z.number().min(0).max(100_000),
  weightType: z.enum(['variable', 'fix']).optional(),
  stickiness: z.string().optional(),
  payload: PayloadSchema.optional(),
  overrides: z.array(OverrideSchema).optional(),
});

export const StrategySchema = z.looseObject({
  name: z.string().min(1),
  /** Unleash sends every parameter as a string; numbers are tolerated from hand-written sets. */
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish(),
  constraints: z.array(ConstraintSchema).optional(),
  segments: z.array(z.number().int()).optional(),
  variants: z.array(VariantSchema).optional(),
  disabled: z.boolean().nullish(),
});

export const DependencySchema = z.looseObject({
  feature: z.string().min(1),
  enabled: z.boolean().optional(),
  variants: z.array(z.string()).optional(),
});

export const FeatureSchema = z.looseObject({
  name: z.string().min(1).max(255),
  enabled: z.boolean(),
  description: z.string().nullish(),
  strategies: z.array(StrategySchema).optional(),
  variants: z.array(VariantSchema).optional(),
  dependencies: z.array(DependencySchema).optional(),
  impressionData: z.boolean().optional(),
});

export const SegmentSchema = z.looseObject({
  id: z.number().int(),
  name: z.string().nullish(),
  constraints: z.array(ConstraintSchema),
});

export const ClientFeaturesSchema = z.looseObject({
  /** Unleash requires >= 1; Wharf serves its revision here, 0 before the first change. */
  version: z.number().int().min(0),
  features: z.array(FeatureSchema),
  segments: z.array(SegmentSchema).optional(),
});

export type Constraint = z.infer<typeof ConstraintSchema>;
export type Payload = z.infer<typeof PayloadSchema>;
export type Variant = z.infer<typeof VariantSchema>;
export type Strategy = z.infer<typeof StrategySchema>;
export type Dependency = z.infer<typeof DependencySchema>;
export type Feature = z.infer<typeof FeatureSchema>;
export type Segment = z.infer<typeof SegmentSchema>;
export type ClientFeatures = z.infer<typeof ClientFeaturesSchema>;

/** What an application tells the evaluator about the current request. */
export interface UnleashContext {
  userId?: string;
  sessionId?: string;
  remoteAddress?: string;
  environment?: string;
  appName?: string;
  /** ISO date-time; the evaluation time when absent. */
  currentTime?: string | Date;
  properties?: Record<string, string | null | undefined>;
  [field: string]: unknown;
}

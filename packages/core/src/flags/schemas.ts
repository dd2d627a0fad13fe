import * as z from 'zod/mini';

/**
 * Unleash's client-features format (`GET /api/client/features`), which Wharf stores and serves
 * flags in. Objects are loose: fields Unleash adds (project, type, impressionData…) travel untouched.
 */

export const ConstraintSchema = z.looseObject({
  contextName: z.string().check(z.minLength(1)),
  /** Unknown operators are accepted here and never match, as every Unleash SDK does. */
  operator: z.string().check(z.minLength(1)),
  values: z.optional(z.array(z.string())),
  value: z.optional(z.string()),
  caseInsensitive: z.optional(z.boolean()),
  inverted: z.optional(z.boolean()),
});

export const PayloadSchema = z.looseObject({
  type: z.string().check(z.minLength(1)),
  value: z.string(),
});

export const OverrideSchema = z.looseObject({
  contextName: z.string().check(z.minLength(1)),
  values: z.array(z.string()),
});

export const VariantSchema = z.looseObject({
  name: z.string().check(z.minLength(1)),
  weight: z.number().check(z.gte(0), z.lte(100_000)),
  weightType: z.optional(z.enum(['variable', 'fix'])),
  stickiness: z.optional(z.string()),
  payload: z.optional(PayloadSchema),
  overrides: z.optional(z.array(OverrideSchema)),
});

export const StrategySchema = z.looseObject({
  name: z.string().check(z.minLength(1)),
  /** Unleash sends every parameter as a string; numbers are tolerated from hand-written sets. */
  parameters: z.nullish(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  constraints: z.optional(z.array(ConstraintSchema)),
  segments: z.optional(z.array(z.int())),
  variants: z.optional(z.array(VariantSchema)),
  disabled: z.nullish(z.boolean()),
});

export const DependencySchema = z.looseObject({
  feature: z.string().check(z.minLength(1)),
  enabled: z.optional(z.boolean()),
  variants: z.optional(z.array(z.string())),
});

/**
 * The key of a flag Wharf writes (whole-set replace or one-flag patch). Unleash's client
 * specification has UTF-8 names (`Feature.UTF-8.😊_φriend_你好_🌍`, spec 18), so any letter, mark,
 * digit or symbol is accepted, with emoji joiners, `-`, `_`, `.`, `:` and `~`; URLs carry them
 * percent-encoded. Left out: spaces, control characters and the URL delimiters `/ ? # %`, and `.`
 * or `..` alone, which would be read as path segments. Keys must be NFC, so that two spellings
 * of "ø" cannot name two flags that look the same.
 */
export const FlagKeySchema = z.string().check(
  z.regex(
    /^(?!\.\.?$)[\p{L}\p{M}\p{N}\p{S}\p{Pc}\p{Pd}.:~\u200d]{1,100}$/u,
    "a flag key is 1 to 100 letters, digits, symbols, '-', '_', '.', ':' or '~' (no spaces, '/', '?', '#' or '%'; not '.' or '..' alone)",
  ),
  z.refine((key) => key === key.normalize('NFC'), 'a flag key must be in Unicode normal form C (NFC)'),
);

export const FeatureSchema = z.looseObject({
  name: z.string().check(z.minLength(1), z.maxLength(255)),
  enabled: z.boolean(),
  description: z.nullish(z.string()),
  strategies: z.optional(z.array(StrategySchema)),
  variants: z.optional(z.array(VariantSchema)),
  dependencies: z.optional(z.array(DependencySchema)),
  impressionData: z.optional(z.boolean()),
});

export const SegmentSchema = z.looseObject({
  id: z.int(),
  name: z.nullish(z.string()),
  constraints: z.array(ConstraintSchema),
});

export const ClientFeaturesSchema = z.looseObject({
  /** Unleash requires >= 1; Wharf serves its revision here, 0 before the first change. */
  version: z.int().check(z.gte(0)),
  features: z.array(FeatureSchema),
  segments: z.optional(z.array(SegmentSchema)),
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

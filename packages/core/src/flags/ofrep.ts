import * as z from 'zod/mini';
import type { Evaluation, FlagEvaluator } from './evaluator.js';
import type { UnleashContext } from './schemas.js';

/**
 * OpenFeature Remote Evaluation Protocol (OFREP) over Unleash evaluation: the context mapping and
 * the shape of an answer, shared by the server's endpoints and any local provider.
 */

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const OptionalString = z.optional(z.string().check(z.maxLength(1000)));

export const OfrepContextSchema = z
  .looseObject({
    targetingKey: OptionalString,
    userId: OptionalString,
    sessionId: OptionalString,
    remoteAddress: OptionalString,
    environment: OptionalString,
    appName: OptionalString,
    currentTime: z.optional(z.string().check(z.refine((v) => !Number.isNaN(Date.parse(v)), 'currentTime must be an ISO date-time'))),
    properties: z.optional(z.record(z.string(), Scalar)),
  })
  .check(
    z.superRefine((ctx, issues) => {
      for (const [k, v] of Object.entries(ctx)) {
        if (!KNOWN.has(k) && !Scalar.safeParse(v).success) issues.addIssue({ code: 'custom', path: [k], message: 'context attributes must be strings, numbers, booleans or null' });
      }
    }),
  );
export type OfrepContext = z.infer<typeof OfrepContextSchema>;

export const OfrepRequestSchema = z.looseObject({ context: z.optional(OfrepContextSchema) });

const KNOWN = new Set(['targetingKey', 'userId', 'sessionId', 'remoteAddress', 'environment', 'appName', 'currentTime', 'properties']);
const TOP_LEVEL = ['sessionId', 'remoteAddress', 'environment', 'appName', 'currentTime'] as const;

/**
 * userId (else targetingKey), sessionId, remoteAddress, environment, appName and currentTime keep
 * their names; `properties` and every other top-level attribute become Unleash properties (a
 * top-level attribute wins over a property of the same name). Nulls are absent values.
 */
export function ofrepToUnleashContext(ctx: OfrepContext = {}): UnleashContext {
  const out: UnleashContext = {};
  const userId = ctx.userId ?? ctx.targetingKey;
  if (userId !== undefined) out.userId = userId;
  for (const k of TOP_LEVEL) if (ctx[k] !== undefined) out[k] = ctx[k];
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.properties ?? {})) if (v !== null) properties[k] = String(v);
  for (const [k, v] of Object.entries(ctx)) if (!KNOWN.has(k) && v !== null && v !== undefined) properties[k] = String(v);
  out.properties = properties;
  return out;
}

/** One successful OFREP evaluation: `value` is whatever the variant's payload holds (see `ofrepResult`). */
export const OfrepSuccessSchema = z.object({
  key: z.string(),
  value: z.unknown(),
  reason: z.string(),
  variant: z.string(),
  metadata: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
});
export type OfrepSuccess = z.infer<typeof OfrepSuccessSchema>;

/** OFREP's bulk answer: every flag of the set, in definition order. */
export const OfrepBulkSchema = z.object({ flags: z.array(OfrepSuccessSchema) });
export type OfrepBulk = z.infer<typeof OfrepBulkSchema>;

/**
 * The OFREP answer for one evaluation. A flag without a chosen variant answers its enabled state
 * (variant "on"/"off"); a chosen variant answers its payload typed by the payload's type (json
 * parsed, number as a number, string and csv as text), or true when it has no payload.
 */
export function ofrepResult(key: string, evaluation: Evaluation, metadata?: OfrepSuccess['metadata']): OfrepSuccess {
  const { variant } = evaluation;
  let value: unknown;
  let name: string;
  if (variant.enabled) {
    name = variant.name;
    const p = variant.payload;
    value = p === undefined ? true : p.type === 'json' ? safeJson(p.value) : p.type === 'number' ? Number(p.value) : p.value;
  } else {
    name = evaluation.enabled ? 'on' : 'off';
    value = evaluation.enabled;
  }
  return metadata ? { key, value, reason: evaluation.reason, variant: name, metadata } : { key, value, reason: evaluation.reason, variant: name };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Every flag of the set, in definition order, for the bulk endpoint or a local provider. */
export function evaluateAll(evaluator: FlagEvaluator, context: UnleashContext, metadata?: OfrepSuccess['metadata']): OfrepSuccess[] {
  return evaluator.names().map((key) => ofrepResult(key, evaluator.evaluate(key, context)!, metadata));
}

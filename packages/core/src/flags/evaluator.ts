import { compileConstraint, contextValue, type Predicate } from './constraints.js';
import { cidrContains, parseCidr } from './ip.js';
import { bucketer, VARIANT_SEED } from './murmur.js';
import type { ClientFeatures, Feature, Payload, Strategy, UnleashContext, Variant } from './schemas.js';

/** Unleash's answer for a variant; `disabled` with enabled:false when the flag is off or has no variants. */
export interface VariantResult {
  name: string;
  enabled: boolean;
  feature_enabled: boolean;
  payload?: Payload;
}

/**
 * Why a flag evaluated as it did, in OpenFeature's vocabulary: STATIC (on for everyone), TARGETING_MATCH
 * (a rule with constraints, a rollout or an override chose it), SPLIT (a weighted variant), DISABLED
 * (the flag is off), DEFAULT (enabled, but no rule matched or a parent flag was not satisfied).
 */
export type EvaluationReason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'DEFAULT';

export interface Evaluation {
  enabled: boolean;
  variant: VariantResult;
  reason: EvaluationReason;
}

export interface EvaluatorOptions {
  /** For the applicationHostname strategy (a browser has none to offer). */
  hostname?: string;
  /** Clock for currentTime and date constraints; tests pin it. */
  now?: () => number;
  /** Source of random stickiness, for `random` and stickiness fallbacks. */
  random?: () => number;
}

const DISABLED_VARIANT: VariantResult = Object.freeze({ name: 'disabled', enabled: false, feature_enabled: false });

/** Variants with their total weight and bucket function computed once. */
interface VariantPlan {
  variants: Variant[];
  bucket: (stickiness: string) => number;
  stickiness: string | undefined;
  /** Total weight 0: no variant can be chosen. */
  empty: boolean;
}

function variantPlan(groupId: string, variants: Variant[], stickiness: string | undefined): VariantPlan {
  let total = 0;
  for (const v of variants) total += v.weight;
  return { variants, bucket: bucketer(groupId, Math.max(total, 1), VARIANT_SEED), stickiness, empty: total <= 0 };
}

interface CompiledStrategy {
  /** Constraints, segment constraints and the strategy's own rule, in that order. */
  matches: (context: UnleashContext) => boolean;
  /** Matches everyone, always: no constraints, no segments, a strategy that has no condition. */
  unconditional: boolean;
  variants: VariantPlan | null;
}

interface CompiledFeature {
  feature: Feature;
  strategies: CompiledStrategy[];
  variants: VariantPlan | null;
  hasParents: boolean;
  /** Enabled with no strategy at all: on for everyone (a set whose strategies are all disabled is not). */
  onWithoutStrategies: boolean;
}

/**
 * A flag set compiled for evaluation: strategy parameters parsed and constraints turned into
 * closures once, so that evaluating is lookups and a hash. Semantics follow Unleash's SDKs and pass
 * its client specification (see the conformance test).
 */
export class FlagEvaluator {
  private readonly features = new Map<string, CompiledFeature>();
  private readonly now: () => number;
  private readonly random: () => number;
  /** Some result depends on the clock (date constraints, currentTime): a cached answer may go stale. */
  readonly timeDependent: boolean;

  constructor(
    readonly definition: ClientFeatures,
    private readonly options: EvaluatorOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.timeDependent = JSON.stringify(definition).search(/"(DATE_AFTER|DATE_BEFORE|currentTime)"/) !== -1;
    const segments = new Map((definition.segments ?? []).map((s) => [s.id, s.constraints.map(compileConstraint)]));
    for (const feature of definition.features) {
      this.features.set(feature.name, {
        feature,
        strategies: (feature.strategies ?? []).filter((s) => s.disabled !== true).map((s) => this.compileStrategy(feature, s, segments)),
        variants: feature.variants?.length ? variantPlan(feature.name, feature.variants, feature.variants[0]!.stickiness) : null,
        hasParents: (feature.dependencies?.length ?? 0) > 0,
        onWithoutStrategies: (feature.strategies?.length ?? 0) === 0,
      });
    }
  }

  has(name: string): boolean {
    return this.features.has(name);
  }

  names(): string[] {
    return [...this.features.keys()];
  }

  /** The hot path: same answer as `evaluate(…).enabled`, without building a result. */
  isEnabled(name: string, context: UnleashContext = {}): boolean {
    const compiled = this.features.get(name);
    if (compiled === undefined || !compiled.feature.enabled) return false;
    if (compiled.hasParents && !this.parentsSatisfied(compiled.feature, context)) return false;
    if (compiled.onWithoutStrategies) return true;
    const strategies = compiled.strategies;
    for (let i = 0; i < strategies.length; i++) if (strategies[i]!.matches(context)) return true;
    return false;
  }

  getVariant(name: string, context: UnleashContext = {}): VariantResult {
    return this.evaluate(name, context)?.variant ?? DISABLED_VARIANT;
  }

  /** Enabled state, variant and reason in one pass; undefined for an unknown flag. */
  evaluate(name: string, context: UnleashContext = {}): Evaluation | undefined {
    const compiled = this.features.get(name);
    return compiled === undefined ? undefined : this.run(compiled, context, true);
  }

  private run(compiled: CompiledFeature, context: UnleashContext, checkParents: boolean): Evaluation {
    const { feature } = compiled;
    if (checkParents && !this.parentsSatisfied(feature, context)) return { enabled: false, variant: DISABLED_VARIANT, reason: 'DEFAULT' };
    if (!feature.enabled) return { enabled: false, variant: DISABLED_VARIANT, reason: 'DISABLED' };
    let matched: CompiledStrategy | undefined;
    if (compiled.strategies.length > 0 || (feature.strategies?.length ?? 0) > 0) {
      matched = compiled.strategies.find((s) => s.matches(context));
      if (!matched) return { enabled: false, variant: DISABLED_VARIANT, reason: 'DEFAULT' };
    }
    const reason: EvaluationReason = matched === undefined || matched.unconditional ? 'STATIC' : 'TARGETING_MATCH';
    if (matched?.variants) {
      const chosen = this.selectVariant(matched.variants, context);
      if (chosen) return { enabled: true, variant: this.variantResult(chosen.variant), reason: chosen.byOverride ? 'TARGETING_MATCH' : 'SPLIT' };
    }
    if (compiled.variants) {
      const chosen = this.selectVariant(compiled.variants, context);
      if (chosen) return { enabled: true, variant: this.variantResult(chosen.variant), reason: chosen.byOverride ? 'TARGETING_MATCH' : 'SPLIT' };
    }
    return { enabled: true, variant: { name: 'disabled', enabled: false, feature_enabled: true }, reason };
  }

  /** Dependencies are one level deep, as in Unleash: a parent that has parents of its own fails. */
  private parentsSatisfied(feature: Feature, context: UnleashContext): boolean {
    const deps = feature.dependencies;
    if (!deps || deps.length === 0) return true;
    return deps.every((dep) => {
      const parent = this.features.get(dep.feature);
      if (!parent || (parent.feature.dependencies?.length ?? 0) > 0) return false;
      const result = this.run(parent, context, false);
      if (dep.enabled === false) return !result.enabled;
      if (dep.variants && dep.variants.length > 0) return result.enabled && dep.variants.includes(result.variant.name);
      return result.enabled;
    });
  }

  private variantResult(variant: Variant): VariantResult {
    return variant.payload === undefined ? { name: variant.name, enabled: true, feature_enabled: true } : { name: variant.name, enabled: true, feature_enabled: true, payload: variant.payload };
  }

  private selectVariant(plan: VariantPlan, context: UnleashContext): { variant: Variant; byOverride: boolean } | null {
    if (plan.empty) return null;
    const variants = plan.variants;
    const override = variants.find((v) => v.overrides?.some((o) => {
      const value = contextValue(context, o.contextName);
      return value !== undefined && o.values.includes(value);
    }));
    if (override) return { variant: override, byOverride: true };
    const target = plan.bucket(this.variantSeed(plan.stickiness, context));
    let counter = 0;
    for (const v of variants) {
      if (v.weight === 0) continue;
      counter += v.weight;
      if (counter >= target) return { variant: v, byOverride: false };
    }
    return null;
  }

  private variantSeed(stickiness: string | undefined, context: UnleashContext): string {
    if (stickiness !== undefined && stickiness !== 'default') return (stickiness === 'random' ? undefined : contextValue(context, stickiness)) ?? this.randomId();
    return contextValue(context, 'userId') ?? contextValue(context, 'sessionId') ?? contextValue(context, 'remoteAddress') ?? this.randomId();
  }

  private randomId(): string {
    return String(Math.round(this.random() * 10_000) + 1);
  }

  private compileStrategy(feature: Feature, strategy: Strategy, segments: Map<number, Predicate[]>): CompiledStrategy {
    const params = strategy.parameters ?? {};
    const constraints = (strategy.constraints ?? []).map(compileConstraint);
    let segmentMissing = false;
    for (const id of strategy.segments ?? []) {
      const found = segments.get(id);
      if (found) constraints.push(...found);
      else segmentMissing = true;
    }
    const rule = this.compileRule(feature, strategy.name, params);
    const variants = strategy.variants?.length ? variantPlan(param(params, 'groupId') ?? feature.name, strategy.variants, strategy.variants[0]!.stickiness ?? param(params, 'stickiness')) : null;
    const unconditional = !segmentMissing && constraints.length === 0 && rule.unconditional;
    const now = this.now;
    const matches = segmentMissing
      ? () => false
      : constraints.length === 0
        ? rule.test
        : (context: UnleashContext) => {
            for (const c of constraints) if (!c(context, now)) return false;
            return rule.test(context);
          };
    return { matches, unconditional, variants };
  }

  private compileRule(feature: Feature, name: string, params: Record<string, string | number | boolean>): { test: (c: UnleashContext) => boolean; unconditional: boolean } {
    const no = { test: () => false, unconditional: false };
    switch (name) {
      case 'default':
        return { test: () => true, unconditional: true };
      case 'userWithId': {
        const ids = new Set(list(param(params, 'userIds')));
        return { test: (c) => { const id = contextValue(c, 'userId'); return id !== undefined && ids.has(id); }, unconditional: false };
      }
      case 'flexibleRollout': {
        const percentage = percent(param(params, 'rollout'));
        const bucket = bucketer(param(params, 'groupId') ?? feature.name);
        const stickiness = param(params, 'stickiness') ?? 'default';
        if (percentage >= 100 && stickiness === 'default') return { test: () => true, unconditional: true };
        if (percentage <= 0) return no;
        return {
          test: (c) => {
            const id = this.rolloutStickiness(stickiness, c);
            return id !== undefined && bucket(id) <= percentage;
          },
          unconditional: false,
        };
      }
      case 'gradualRolloutUserId':
      case 'gradualRolloutSessionId': {
        const percentage = percent(param(params, 'percentage'));
        const bucket = bucketer(param(params, 'groupId') ?? '');
        const field = name === 'gradualRolloutUserId' ? 'userId' : 'sessionId';
        return {
          test: (c) => {
            const id = contextValue(c, field);
            return id !== undefined && percentage > 0 && bucket(id) <= percentage;
          },
          unconditional: false,
        };
      }
      case 'gradualRolloutRandom': {
        const percentage = percent(param(params, 'percentage'));
        return { test: () => percentage > 0 && Math.floor(this.random() * 100) + 1 <= percentage, unconditional: percentage >= 100 };
      }
      case 'remoteAddress': {
        const entries = list(param(params, 'IPs'));
        const exact = new Set(entries);
        const ranges = entries.map(parseCidr).filter((r) => r !== null);
        return {
          test: (c) => {
            const ip = contextValue(c, 'remoteAddress');
            if (ip === undefined) return false;
            if (exact.has(ip)) return true;
            const range = parseCidr(ip);
            return range !== null && range.prefix === range.bytes.length * 8 && ranges.some((r) => cidrContains(r, range.bytes));
          },
          unconditional: false,
        };
      }
      case 'applicationHostname': {
        const names = new Set(list(param(params, 'hostNames')).map((h) => h.toLowerCase()));
        const host = this.options.hostname?.toLowerCase();
        return { test: () => host !== undefined && names.has(host), unconditional: false };
      }
      default:
        // An unknown (custom) strategy is off, as in every Unleash SDK without that strategy registered.
        return no;
    }
  }

  private rolloutStickiness(stickiness: string, context: UnleashContext): string | undefined {
    switch (stickiness) {
      case 'default':
        return contextValue(context, 'userId') ?? contextValue(context, 'sessionId') ?? this.randomId();
      case 'random':
        return this.randomId();
      default:
        return contextValue(context, stickiness);
    }
  }
}

function param(params: Record<string, string | number | boolean>, key: string): string | undefined {
  const v = params[key];
  return v === undefined || v === '' ? undefined : String(v);
}

function list(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter(Boolean);
}

function percent(value: string | undefined): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

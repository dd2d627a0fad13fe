import { compareParsed, isStrictSemver, parseVersion, type Version } from '../npm/versions.js';
import { cidrContains, parseCidr, parseIp, type CidrRange } from './ip.js';
import { compileRe2 } from './regex.js';
import type { Constraint, UnleashContext } from './schemas.js';

export type Predicate = (context: UnleashContext, now: () => number) => boolean;

/** A context field by name: a top-level field first, then `properties`; empty strings count as absent. */
export function contextValue(context: UnleashContext, field: string): string | undefined {
  const top = context[field];
  if (typeof top === 'string' && top !== '') return top;
  if (top !== undefined && top !== null && top !== '') return top instanceof Date ? top.toISOString() : String(top);
  const prop = context.properties?.[field];
  return prop === undefined || prop === null || prop === '' ? undefined : String(prop);
}

export const OPERATORS = [
  'IN', 'NOT_IN',
  'STR_CONTAINS', 'STR_STARTS_WITH', 'STR_ENDS_WITH',
  'NUM_EQ', 'NUM_GT', 'NUM_GTE', 'NUM_LT', 'NUM_LTE',
  'DATE_AFTER', 'DATE_BEFORE',
  'SEMVER_EQ', 'SEMVER_GT', 'SEMVER_LT', 'SEMVER_GTE', 'SEMVER_LTE',
  'REGEX', 'IN_CIDR',
] as const;

const never: Predicate = () => false;

/**
 * Compiles a constraint once into a predicate (values parsed, regexes built, sets made), so the
 * evaluation hot path does no parsing. `inverted` negates any known operator; an unknown operator,
 * or a value that cannot be parsed, never matches, inverted or not.
 */
export function compileConstraint(constraint: Constraint): Predicate {
  const base = compileOperator(constraint);
  if (base === null) return never;
  return constraint.inverted ? (ctx, now) => !base(ctx, now) : base;
}

function compileOperator(c: Constraint): Predicate | null {
  const field = c.contextName;
  const values = c.values ?? [];
  const read =
    field === 'currentTime'
      ? (ctx: UnleashContext, now: () => number) => contextValue(ctx, field) ?? new Date(now()).toISOString()
      : (ctx: UnleashContext) => contextValue(ctx, field);
  switch (c.operator) {
    case 'IN':
    case 'NOT_IN': {
      const set = new Set(c.caseInsensitive ? values.map((v) => v.toLowerCase()) : values);
      const fold = c.caseInsensitive ? (v: string) => v.toLowerCase() : (v: string) => v;
      const isIn = (ctx: UnleashContext, now: () => number) => {
        const v = read(ctx, now);
        return v !== undefined && set.has(fold(v));
      };
      return c.operator === 'IN' ? isIn : (ctx, now) => !isIn(ctx, now);
    }
    case 'STR_CONTAINS':
    case 'STR_STARTS_WITH':
    case 'STR_ENDS_WITH': {
      const fold = c.caseInsensitive ? (v: string) => v.toLowerCase() : (v: string) => v;
      const wanted = values.map(fold);
      const test =
        c.operator === 'STR_CONTAINS' ? (v: string, w: string) => v.includes(w) : c.operator === 'STR_STARTS_WITH' ? (v: string, w: string) => v.startsWith(w) : (v: string, w: string) => v.endsWith(w);
      return (ctx, now) => {
        const v = read(ctx, now);
        if (v === undefined) return false;
        const folded = fold(v);
        return wanted.some((w) => test(folded, w));
      };
    }
    case 'NUM_EQ':
    case 'NUM_GT':
    case 'NUM_GTE':
    case 'NUM_LT':
    case 'NUM_LTE': {
      const target = parseNumber(c.value);
      if (target === null) return null;
      const cmp = numberComparison(c.operator);
      return (ctx, now) => {
        const v = parseNumber(read(ctx, now));
        return v !== null && cmp(v, target);
      };
    }
    case 'DATE_AFTER':
    case 'DATE_BEFORE': {
      const target = c.value === undefined ? NaN : Date.parse(c.value);
      if (Number.isNaN(target)) return null;
      const after = c.operator === 'DATE_AFTER';
      return (ctx, now) => {
        const raw = ctx.currentTime;
        const t = raw === undefined || raw === null || raw === '' ? now() : raw instanceof Date ? raw.getTime() : Date.parse(String(raw));
        if (Number.isNaN(t)) return false;
        return after ? t > target : t < target;
      };
    }
    case 'SEMVER_EQ':
    case 'SEMVER_GT':
    case 'SEMVER_LT':
    case 'SEMVER_GTE':
    case 'SEMVER_LTE': {
      const target = c.value;
      if (target === undefined || !isStrictSemver(target)) return null;
      const cmp = numberComparison(c.operator.replace('SEMVER_', 'NUM_'));
      const parsedTarget = parseVersion(target)!;
      return (ctx, now) => {
        const v = read(ctx, now);
        const parsed = v === undefined ? null : parseSemver(v);
        return parsed !== null && cmp(compareParsed(parsed, parsedTarget), 0);
      };
    }
    case 'REGEX': {
      const re = c.value === undefined ? null : compileRe2(c.value, c.caseInsensitive === true);
      if (re === null) return null;
      return (ctx, now) => {
        const v = read(ctx, now);
        return v !== undefined && re.test(v);
      };
    }
    case 'IN_CIDR': {
      const ranges = values.map((v) => parseCidr(v.trim())).filter((r): r is CidrRange => r !== null);
      return (ctx, now) => {
        const v = read(ctx, now);
        const ip = v === undefined ? null : parseIp(v);
        return ip !== null && ranges.some((r) => cidrContains(r, ip));
      };
    }
    default:
      return null;
  }
}

/** Parsed context versions, bounded: a few app versions recur across millions of evaluations. */
const semverCache = new Map<string, Version | null>();

function parseSemver(text: string): Version | null {
  let parsed = semverCache.get(text);
  if (parsed === undefined) {
    parsed = isStrictSemver(text) ? parseVersion(text) : null;
    if (semverCache.size >= 1000) semverCache.clear();
    semverCache.set(text, parsed);
  }
  return parsed;
}

function parseNumber(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const n = Number(text);
  return Number.isNaN(n) ? null : n;
}

function numberComparison(op: string): (a: number, b: number) => boolean {
  switch (op) {
    case 'NUM_EQ':
      return (a, b) => a === b;
    case 'NUM_GT':
      return (a, b) => a > b;
    case 'NUM_GTE':
      return (a, b) => a >= b;
    case 'NUM_LT':
      return (a, b) => a < b;
    default:
      return (a, b) => a <= b;
  }
}

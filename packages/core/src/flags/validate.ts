import { OPERATORS } from './constraints.js';
import { compileRe2 } from './regex.js';
import { parseCidr } from './ip.js';
import type { ClientFeatures, Constraint, Variant } from './schemas.js';
import { isStrictSemver } from '../npm/semver.js';

const KNOWN_OPERATORS = new Set<string>(OPERATORS);
const STRATEGIES = new Set(['default', 'userWithId', 'flexibleRollout', 'gradualRolloutUserId', 'gradualRolloutSessionId', 'gradualRolloutRandom', 'remoteAddress', 'applicationHostname']);

/**
 * What an operator's flag set must satisfy beyond its shape before Wharf stores it. SDKs tolerate
 * these mistakes by evaluating to false; an admin API should refuse them instead. Returns the first
 * problem found, or null.
 */
export function flagSetProblem(set: ClientFeatures): string | null {
  const segmentIds = new Set<number>();
  for (const segment of set.segments ?? []) {
    if (segmentIds.has(segment.id)) return `segment ${segment.id} is defined twice`;
    segmentIds.add(segment.id);
    const bad = constraintsProblem(segment.constraints, `segment ${segment.id}`);
    if (bad) return bad;
  }
  const names = new Set<string>();
  for (const f of set.features) {
    if (names.has(f.name)) return `flag ${f.name} is defined twice`;
    names.add(f.name);
  }
  for (const f of set.features) {
    for (const [i, s] of (f.strategies ?? []).entries()) {
      const where = `flag ${f.name} strategy ${i} (${s.name})`;
      if (!STRATEGIES.has(s.name)) return `${where}: unknown strategy`;
      for (const id of s.segments ?? []) if (!segmentIds.has(id)) return `${where}: segment ${id} does not exist`;
      const bad = constraintsProblem(s.constraints ?? [], where) ?? variantsProblem(s.variants ?? [], where);
      if (bad) return bad;
      for (const p of ['rollout', 'percentage'] as const) {
        const v = s.parameters?.[p];
        if (v !== undefined && !(Number(v) >= 0 && Number(v) <= 100)) return `${where}: ${p} must be a number from 0 to 100`;
      }
    }
    const bad = variantsProblem(f.variants ?? [], `flag ${f.name}`);
    if (bad) return bad;
    for (const d of f.dependencies ?? []) {
      if (!names.has(d.feature)) return `flag ${f.name} depends on ${d.feature}, which does not exist`;
      if (d.feature === f.name) return `flag ${f.name} depends on itself`;
    }
  }
  return null;
}

function constraintsProblem(constraints: Constraint[], where: string): string | null {
  for (const c of constraints) {
    const what = `${where}: constraint on ${c.contextName}`;
    if (!KNOWN_OPERATORS.has(c.operator)) return `${what}: unknown operator ${c.operator}`;
    if (c.operator.startsWith('NUM_') && (c.value === undefined || c.value.trim() === '' || Number.isNaN(Number(c.value)))) return `${what}: ${c.operator} needs a numeric value`;
    if (c.operator.startsWith('DATE_') && (c.value === undefined || Number.isNaN(Date.parse(c.value)))) return `${what}: ${c.operator} needs a date value`;
    if (c.operator.startsWith('SEMVER_') && (c.value === undefined || !isStrictSemver(c.value))) return `${what}: ${c.operator} needs a semantic version value`;
    if (c.operator === 'REGEX' && (c.value === undefined || compileRe2(c.value) === null)) return `${what}: the regular expression is invalid or uses what RE2 lacks (lookaround, backreferences)`;
    if (c.operator === 'IN_CIDR' && (c.values ?? []).some((v) => parseCidr(v.trim()) === null)) return `${what}: IN_CIDR needs addresses or CIDR ranges`;
  }
  return null;
}

function variantsProblem(variants: Variant[], where: string): string | null {
  if (variants.length > 0 && variants.every((v) => v.weight === 0)) return `${where}: variant weights add up to 0`;
  const names = new Set<string>();
  for (const v of variants) {
    if (names.has(v.name)) return `${where}: variant ${v.name} is defined twice`;
    names.add(v.name);
    if (v.payload?.type === 'json') {
      try {
        JSON.parse(v.payload.value);
      } catch {
        return `${where}: variant ${v.name} has a json payload that does not parse`;
      }
    }
    if (v.payload?.type === 'number' && (v.payload.value.trim() === '' || Number.isNaN(Number(v.payload.value)))) return `${where}: variant ${v.name} has a number payload that is not a number`;
  }
  return null;
}

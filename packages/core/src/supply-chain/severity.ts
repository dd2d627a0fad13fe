import type { OsvAdvisory } from './osv.js';

/** The severities npm audit prints and filters on (`--audit-level`). */
export const NPM_SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
export type NpmSeverity = (typeof NPM_SEVERITIES)[number];

const WEIGHTS: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};

/** CVSS 3.x "Roundup": the smallest one-decimal number >= x, robust to floating-point noise. */
function roundUp(x: number): number {
  const n = Math.round(x * 100_000);
  return n % 10_000 === 0 ? n / 100_000 : (Math.floor(n / 10_000) + 1) / 10;
}

/** Base score of a CVSS v3.0/v3.1 vector (FIRST specification §7.1), or null when the vector is not one. */
export function cvss3BaseScore(vector: string): number | null {
  const parts = vector.split('/');
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return null;
  const m = new Map(parts.slice(1).map((p) => p.split(':') as [string, string]));
  const scope = m.get('S');
  const pr = { N: 0.85, L: scope === 'C' ? 0.68 : 0.62, H: scope === 'C' ? 0.5 : 0.27 }[m.get('PR') ?? ''];
  const w = (metric: string) => WEIGHTS[metric]![m.get(metric) ?? ''];
  const [av, ac, ui, c, i, a] = ['AV', 'AC', 'UI', 'C', 'I', 'A'].map(w);
  if (scope !== 'U' && scope !== 'C') return null;
  if (pr === undefined || av === undefined || ac === undefined || ui === undefined || c === undefined || i === undefined || a === undefined) return null;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return roundUp(Math.min(scope === 'U' ? impact + exploitability : 1.08 * (impact + exploitability), 10));
}

export function severityOfScore(score: number): NpmSeverity {
  if (score === 0) return 'info';
  if (score < 4) return 'low';
  if (score < 7) return 'moderate';
  if (score < 9) return 'high';
  return 'critical';
}

export interface AdvisorySeverity {
  severity: NpmSeverity;
  cvss: { score: number; vectorString: string | null };
}

const NAMED: Record<string, NpmSeverity> = { LOW: 'low', MODERATE: 'moderate', MEDIUM: 'moderate', HIGH: 'high', CRITICAL: 'critical' };

/**
 * An advisory's severity in npm's terms: the database's own rating when it gives one (GitHub's
 * `database_specific.severity`), else the CVSS v3 base score, else "high", which is what npm
 * itself assumes for an advisory without a severity.
 */
export function advisorySeverity(advisory: OsvAdvisory): AdvisorySeverity {
  const vectors = [...(advisory.severity ?? []), ...(advisory.affected ?? []).flatMap((a) => a.severity ?? [])];
  const v3 = vectors.find((s) => s.type === 'CVSS_V3');
  const score = v3 ? cvss3BaseScore(v3.score) : null;
  const named = advisory.database_specific?.severity;
  const severity = typeof named === 'string' && NAMED[named.toUpperCase()] ? NAMED[named.toUpperCase()]! : score !== null ? severityOfScore(score) : 'high';
  return { severity, cvss: { score: score ?? 0, vectorString: v3?.score ?? null } };
}

/** CWE ids as GitHub's OSV export gives them (`database_specific.cwe_ids`). */
export function advisoryCwes(advisory: OsvAdvisory): string[] {
  const ids = advisory.database_specific?.cwe_ids;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

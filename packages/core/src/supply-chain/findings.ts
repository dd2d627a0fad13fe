import { declaredDependency, rangeCanResolveInto, vulnerableVersions } from './ranges.js';
import { advisorySeverity, type NpmSeverity } from './severity.js';
import type { OsvAdvisory } from './osv.js';

/** Dependency maps of a package.json that reach consumers (devDependencies never do). */
export const RUNTIME_DEPENDENCY_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;
export type DependencyKind = (typeof RUNTIME_DEPENDENCY_FIELDS)[number];

export interface DeclaredDependency {
  /** The package installed (the target of an `npm:` alias). */
  name: string;
  /** The spec as written in package.json. */
  spec: string;
  kind: DependencyKind;
}

/** A direct dependency whose declared range can resolve into an advisory's affected range. */
export interface VulnerabilityFinding {
  advisory: string;
  summary: string;
  severity: NpmSeverity;
  component: string;
  declaredRange: string;
  vulnerableVersions: string;
}

/** Runtime dependencies of a package.json, one per installed name (a later field wins, as npm merges them). */
export function declaredDependencies(packageJson: Record<string, unknown>): DeclaredDependency[] {
  const byKey = new Map<string, DeclaredDependency>();
  for (const kind of RUNTIME_DEPENDENCY_FIELDS) {
    const map = packageJson[kind];
    if (!map || typeof map !== 'object' || Array.isArray(map)) continue;
    for (const [key, spec] of Object.entries(map as Record<string, unknown>)) {
      // npm refuses both on install; a hand-made publish may still carry them.
      if (typeof spec !== 'string' || key === '') continue;
      const target = declaredDependency(key, spec);
      byKey.set(key, { name: target?.name ?? key, spec, kind });
    }
  }
  return [...byKey.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Findings for a set of dependencies against advisories (withdrawn ones excluded), in a stable order. */
export function findVulnerabilities(dependencies: DeclaredDependency[], advisories: OsvAdvisory[]): VulnerabilityFinding[] {
  const findings: VulnerabilityFinding[] = [];
  for (const dep of dependencies) {
    const declared = declaredDependency(dep.name, dep.spec);
    if (!declared) continue;
    for (const advisory of advisories) {
      if (advisory.withdrawn) continue;
      const vulnerable = vulnerableVersions(advisory, declared.name);
      if (vulnerable === null || !rangeCanResolveInto(declared.range, vulnerable)) continue;
      findings.push({
        advisory: advisory.id,
        summary: advisory.summary ?? advisory.id,
        severity: advisorySeverity(advisory).severity,
        component: declared.name,
        declaredRange: dep.spec,
        vulnerableVersions: vulnerable,
      });
    }
  }
  return findings.sort((a, b) => a.component.localeCompare(b.component) || a.advisory.localeCompare(b.advisory));
}

import type { CatalogHead } from './schemas.js';

export interface CatalogDiff {
  added: string[];
  removed: string[];
  /** Plugins whose entry differs in any way: a version, a tag, a rollout, a revocation, listing data. */
  changed: string[];
  /** Feature flags added, removed or changed. */
  flagsChanged: string[];
}

/** What changed between two catalogs, by plugin name and flag name. */
export function diffCatalogs(before: CatalogHead | null, after: CatalogHead): CatalogDiff {
  // A first catalog: everything is new, and serialising every entry to compare would cost tens of ms.
  if (before === null) return { added: after.plugins.map((p) => p.name), removed: [], changed: [], flagsChanged: after.flags.features.map((f) => f.name) };
  const old = new Map((before?.plugins ?? []).map((p) => [p.name, JSON.stringify(p)]));
  const now = new Map(after.plugins.map((p) => [p.name, JSON.stringify(p)]));
  const added = [...now.keys()].filter((n) => !old.has(n));
  const removed = [...old.keys()].filter((n) => !now.has(n));
  const changed = [...now.keys()].filter((n) => old.has(n) && old.get(n) !== now.get(n));
  const oldFlags = new Map((before?.flags.features ?? []).map((f) => [f.name, JSON.stringify(f)]));
  const newFlags = new Map(after.flags.features.map((f) => [f.name, JSON.stringify(f)]));
  const flagsChanged = [...new Set([...oldFlags.keys(), ...newFlags.keys()])].filter((n) => oldFlags.get(n) !== newFlags.get(n));
  return { added, removed, changed, flagsChanged };
}

export const isEmptyDiff = (d: CatalogDiff): boolean => d.added.length + d.removed.length + d.changed.length + d.flagsChanged.length === 0;

import semver from 'semver';

const MAX_TERM = 40;
const MAX_QUERY_TERMS = 8;

/**
 * Lowercase words of letters and digits, diacritics removed. Both engines index and query this form
 * (space-joined), so they split text identically and nothing a user types can reach a query parser
 * as syntax: quotes, `*`, `NEAR(`, `')--` are all separators.
 */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .map((w) => w.slice(0, MAX_TERM));
}

export const indexText = (parts: readonly string[]): string => words(parts.join(' ')).join(' ');

/** Distinct query terms, in order, capped so that a long query cannot fan out into a huge match expression. */
export function queryTerms(q: string): string[] {
  return [...new Set(words(q))].slice(0, MAX_QUERY_TERMS);
}

/** How many edits a term may be away from an indexed word and still be taken for it. */
export function typoBudget(term: string): number {
  if (term.length <= 3) return 0;
  return term.length <= 5 ? 1 : 2;
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), stopping early past `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest indexed words to a term that matched nothing, best first, within its typo budget. */
export function corrections(term: string, candidates: Iterable<string>, limit = 3): string[] {
  const budget = typoBudget(term);
  if (budget === 0) return [];
  const scored: { word: string; d: number }[] = [];
  for (const word of candidates) {
    const d = editDistance(term, word, budget);
    if (d <= budget) scored.push({ word, d });
  }
  return scored.sort((x, y) => x.d - y.d || x.word.localeCompare(y.word)).slice(0, limit).map((s) => s.word);
}

/** A host version as a string that sorts like the version (prereleases and build metadata ignored). */
export function hostVersionKey(version: string): string | null {
  const v = semver.coerce(version);
  if (!v) return null;
  return [v.major, v.minor, v.patch].map((n) => String(Math.min(n, 999_999)).padStart(6, '0')).join('.');
}

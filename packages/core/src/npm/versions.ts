/**
 * SemVer versions and npm ranges for code that ships to browsers. The `semver` package is the
 * reference (the server keeps using it), but it costs ~9 KB gzip of a 40 KB SDK budget; this module
 * implements the subset clients need, with node-semver's range semantics (x-ranges, tilde, caret,
 * hyphen ranges, `||`, the prerelease rule and `includePrerelease`), strict versions only (no loose
 * mode, no coercion). test/versions.test.ts checks it against `semver` on generated inputs.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
}

const IDENT = '(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)';
const PRE = `(?:-(${IDENT}(?:\\.${IDENT})*))?`;
const BUILD = '(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?';
const CORE = `(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)${PRE}${BUILD}`;
const VERSION = new RegExp(`^v?${CORE}$`);
/** The grammar published with SemVer 2.0.0 (semver.org), nothing more: no prefix, no leading zeros. */
const STRICT = new RegExp(`^${CORE}$`);

/** Strict SemVer 2.0.0: MAJOR.MINOR.PATCH[-prerelease][+build]; what the registry accepts. */
export const isStrictSemver = (version: string): boolean => typeof version === 'string' && version.length <= 256 && STRICT.test(version);
const XR = '(x|X|\\*|0|[1-9]\\d*)';
const PARTIAL = new RegExp(`^v?${XR}(?:\\.${XR}(?:\\.${XR}${PRE}${BUILD})?)?$`);

const preIds = (pre: string | undefined): (string | number)[] => (pre ? pre.split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id)) : []);

/** Parses a SemVer 2.0.0 version (a leading `v` allowed, as semver.valid does); null when it is not one (or a number exceeds 2^53). */
export function parseVersion(text: string): Version | null {
  if (typeof text !== 'string' || text.length > 256) return null;
  const m = VERSION.exec(text.trim());
  if (!m) return null;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (![major, minor, patch].every(Number.isSafeInteger)) return null;
  return { major, minor, patch, prerelease: preIds(m[4]) };
}

/** The version without build metadata, or null: what `semver.valid` answers for strict input. */
export function validVersion(text: string): string | null {
  const v = parseVersion(text);
  return v && format(v);
}

const format = (v: Version): string => `${v.major}.${v.minor}.${v.patch}${v.prerelease.length ? `-${v.prerelease.join('.')}` : ''}`;

function compareIds(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareParsed(a: Version, b: Version): number {
  const main = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (main !== 0) return Math.sign(main);
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return Math.sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; ; i++) {
    if (i === a.prerelease.length || i === b.prerelease.length) return Math.sign(a.prerelease.length - b.prerelease.length);
    const c = compareIds(a.prerelease[i]!, b.prerelease[i]!);
    if (c !== 0) return Math.sign(c);
  }
}

const must = (text: string): Version => {
  const v = parseVersion(text);
  if (!v) throw new TypeError(`invalid version ${JSON.stringify(text)}`);
  return v;
};

/** -1, 0 or 1; throws on an invalid version, as `semver.compare` does. */
export const compareVersions = (a: string, b: string): number => compareParsed(must(a), must(b));
export const rcompareVersions = (a: string, b: string): number => compareVersions(b, a);
export const versionLt = (a: string, b: string): boolean => compareVersions(a, b) < 0;
export const versionLte = (a: string, b: string): boolean => compareVersions(a, b) <= 0;
export const isPrerelease = (text: string): boolean => must(text).prerelease.length > 0;

type Op = '<' | '<=' | '>' | '>=' | '=';
interface Comparator {
  op: Op;
  v: Version;
}
/** Comparators that must all hold; an empty set admits every version. */
type ComparatorSet = Comparator[];

interface Partial {
  M: number | null;
  m: number | null;
  p: number | null;
  pre: (string | number)[];
  /** A number follows a wildcard (1.x.3): node-semver refuses that in x-ranges and comparators, not after ^ or ~. */
  numberAfterWildcard: boolean;
}

function parsePartial(text: string): Partial | null {
  const x = PARTIAL.exec(text);
  if (!x) return null;
  const num = (s: string | undefined) => (s === undefined || s === 'x' || s === 'X' || s === '*' ? null : Number(s));
  const [M, m, p] = [num(x[1]), num(x[2]), num(x[3])];
  if ([M, m, p].some((n) => n !== null && !Number.isSafeInteger(n))) return null;
  const numberAfterWildcard = (M === null && (m !== null || p !== null)) || (m === null && x[2] !== undefined && p !== null);
  // Otherwise a wildcard swallows what follows it: ^1.x.3 is ^1.x.
  return { M, m: M === null ? null : m, p: M === null || m === null ? null : p, pre: preIds(x[4]), numberAfterWildcard };
}

const ver = (major: number, minor: number, patch: number, prerelease: (string | number)[] = []): Version => ({ major, minor, patch, prerelease });
const ZERO = [0];

/** One token of a range (`^1.2`, `>=1.2.3`, `1.x`) as comparators, following node-semver's desugaring. */
function desugar(token: string, includePrerelease: boolean): ComparatorSet | null {
  const m = /^(\^|~>?|<=|>=|<|>|=)?(.*)$/.exec(token)!;
  const op = m[1] ?? '';
  const p = parsePartial(m[2]!);
  if (!p) return null;
  const lowPre = includePrerelease ? ZERO : [];
  const { M, m: mi, p: pa, pre } = p;
  if (op === '^' || op.startsWith('~')) {
    const caret = op === '^';
    // Under includePrerelease node-semver lowers the bound of wildcard forms only (^1.x, ~1.2), not of full versions.
    const low = lowPre;
    if (M === null) return [];
    if (mi === null) return [{ op: '>=', v: ver(M, 0, 0, low) }, { op: '<', v: ver(M + 1, 0, 0, ZERO) }];
    if (pa === null) {
      const upper = caret && M > 0 ? ver(M + 1, 0, 0, ZERO) : ver(M, mi + 1, 0, ZERO);
      return [{ op: '>=', v: ver(M, mi, 0, low) }, { op: '<', v: upper }];
    }
    const upper = !caret ? ver(M, mi + 1, 0, ZERO) : M > 0 ? ver(M + 1, 0, 0, ZERO) : mi > 0 ? ver(0, mi + 1, 0, ZERO) : ver(0, 0, pa + 1, ZERO);
    return [{ op: '>=', v: ver(M, mi, pa, pre) }, { op: '<', v: upper }];
  }
  if (p.numberAfterWildcard) return null;
  const gtlt = (op === '=' ? '' : op) as '' | Op;
  if (M === null) return gtlt === '<' || gtlt === '>' ? [{ op: '<', v: ver(0, 0, 0, ZERO) }] : [];
  if (mi === null || pa === null) {
    if (gtlt === '') {
      return mi === null
        ? [{ op: '>=', v: ver(M, 0, 0, lowPre) }, { op: '<', v: ver(M + 1, 0, 0, ZERO) }]
        : [{ op: '>=', v: ver(M, mi, 0, lowPre) }, { op: '<', v: ver(M, mi + 1, 0, ZERO) }];
    }
    let [major, minor, cmp] = [M, mi ?? 0, gtlt];
    if (gtlt === '>') {
      cmp = '>=';
      if (mi === null) [major, minor] = [M + 1, 0];
      else minor = mi + 1;
    } else if (gtlt === '<=') {
      cmp = '<';
      if (mi === null) [major, minor] = [M + 1, 0];
      else minor = mi + 1;
    }
    return [{ op: cmp, v: ver(major, minor, 0, cmp === '<' ? ZERO : lowPre) }];
  }
  return [{ op: gtlt === '' ? '=' : gtlt, v: ver(M, mi, pa, pre) }];
}

function hyphen(fromText: string, toText: string, includePrerelease: boolean): ComparatorSet | null {
  const from = parsePartial(fromText);
  const to = parsePartial(toText);
  if (!from || !to) return null;
  const out: ComparatorSet = [];
  const lowPre = includePrerelease ? ZERO : [];
  if (from.M !== null) {
    out.push({ op: '>=', v: from.p === null ? ver(from.M, from.m ?? 0, 0, lowPre) : ver(from.M, from.m!, from.p, from.pre.length ? from.pre : lowPre) });
  }
  if (to.M !== null) {
    if (to.m === null) out.push({ op: '<', v: ver(to.M + 1, 0, 0, ZERO) });
    else if (to.p === null) out.push({ op: '<', v: ver(to.M, to.m + 1, 0, ZERO) });
    else if (to.pre.length) out.push({ op: '<=', v: ver(to.M, to.m, to.p, to.pre) });
    else if (includePrerelease) out.push({ op: '<', v: ver(to.M, to.m, to.p + 1, ZERO) });
    else out.push({ op: '<=', v: ver(to.M, to.m, to.p) });
  }
  return out;
}

/** `>=0.0.0` (`>=0.0.0-0` with includePrerelease) is node-semver's "any": it drops out of its set. */
function isFloor(c: Comparator, includePrerelease: boolean): boolean {
  const v = c.v;
  return c.op === '>=' && v.major === 0 && v.minor === 0 && v.patch === 0 && (includePrerelease ? v.prerelease.length === 1 && v.prerelease[0] === 0 : v.prerelease.length === 0);
}

/** A range as alternatives of comparator sets; null when it is not a valid npm range. */
function parseRange(range: string, includePrerelease: boolean): ComparatorSet[] | null {
  if (typeof range !== 'string' || range.length > 1024) return null;
  const sets: ComparatorSet[] = [];
  for (const alternative of range.split('||')) {
    // node-semver allows a space between an operator and its version: ">= 1.2.3".
    const text = alternative.trim().replace(/(\^|~>?|<=|>=|<|>|=)\s+/g, '$1');
    const h = /^(\S+)\s+-\s+(\S+)$/.exec(text);
    if (h) {
      const set = hyphen(h[1]!, h[2]!, includePrerelease);
      if (!set) return null;
      sets.push(set.filter((c) => !isFloor(c, includePrerelease)));
      continue;
    }
    const set: ComparatorSet = [];
    for (const token of text === '' ? [] : text.split(/\s+/)) {
      const part = desugar(token, includePrerelease);
      if (!part) return null;
      set.push(...part);
    }
    sets.push(set.filter((c) => !isFloor(c, includePrerelease)));
  }
  // As node-semver's Range: alternatives that admit nothing (<0.0.0-0) drop out, and one that admits
  // everything replaces the whole range (which then admits no prerelease).
  if (sets.length > 1) {
    const live = sets.filter((set) => !(set.length === 1 && set[0]!.op === '<' && compareParsed(set[0]!.v, ver(0, 0, 0, ZERO)) === 0));
    if (live.length === 0) return [sets[0]!];
    if (live.some((set) => set.length === 0)) return [[]];
    return live;
  }
  return sets;
}

export const isValidRange = (range: string): boolean => parseRange(range, false) !== null;

function holds(c: Comparator, v: Version): boolean {
  const d = compareParsed(v, c.v);
  return c.op === '<' ? d < 0 : c.op === '<=' ? d <= 0 : c.op === '>' ? d > 0 : c.op === '>=' ? d >= 0 : d === 0;
}

function setAdmits(set: ComparatorSet, v: Version, includePrerelease: boolean): boolean {
  if (!set.every((c) => holds(c, v))) return false;
  if (v.prerelease.length === 0 || includePrerelease) return true;
  // A prerelease only matches a range that names a prerelease of the same major.minor.patch.
  return set.some((c) => c.v.prerelease.length > 0 && c.v.major === v.major && c.v.minor === v.minor && c.v.patch === v.patch);
}

/** `semver.satisfies` for strict versions: false for anything invalid. */
export function satisfies(version: string, range: string, options: { includePrerelease?: boolean } = {}): boolean {
  const v = parseVersion(version);
  const sets = parseRange(range, options.includePrerelease === true);
  if (!v || !sets) return false;
  return sets.some((set) => setAdmits(set, v, options.includePrerelease === true));
}

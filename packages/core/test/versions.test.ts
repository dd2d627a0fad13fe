import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import semver from 'semver';
import { compareVersions, isValidRange, satisfies, validVersion } from '../src/npm/versions.js';

// Differential tests: node-semver is the reference for every answer, on inputs drawn from the grammar.
const num = fc.constantFrom('0', '1', '2', '10');
const xr = fc.oneof(num, fc.constantFrom('x', 'X', '*'));
const pre = fc.constantFrom('', '-alpha', '-beta.1', '-0', '-rc.2', '-1.a');
const build = fc.constantFrom('', '', '+build.5');
const version = fc.tuple(fc.constantFrom('', '', '', 'v'), num, num, num, pre, build).map(([v, a, b, c, p, bd]) => `${v}${a}.${b}.${c}${p}${bd}`);
const partial = fc.oneof(
  xr,
  fc.tuple(xr, xr).map(([a, b]) => `${a}.${b}`),
  fc.tuple(xr, xr, xr).map(([a, b, c]) => `${a}.${b}.${c}`),
  version,
);
const op = fc.constantFrom('', '=', '<', '<=', '>', '>=', '^', '~', '~>', '>= ', 'v');
const simple = fc.tuple(op, partial).map(([o, p]) => `${o}${p}`);
const conjunction = fc.array(simple, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(' '));
const alternative = fc.oneof(conjunction, fc.tuple(partial, partial).map(([a, b]) => `${a} - ${b}`), fc.constant(''));
const range = fc.array(alternative, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(' || '));
const runs = { numRuns: Number(process.env.VERSIONS_RUNS ?? 3000) };

describe('versions: npm range semantics without the semver package', () => {
  it('satisfies answers as semver.satisfies does, with and without includePrerelease', () => {
    fc.assert(
      fc.property(version, range, fc.boolean(), (v, r, includePrerelease) => {
        expect(satisfies(v, r, { includePrerelease }), `${v} in ${JSON.stringify(r)} (includePrerelease ${includePrerelease})`).toBe(semver.satisfies(v, r, { includePrerelease }));
      }),
      runs,
    );
  });

  it('compares and validates versions as semver does (strict input)', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(compareVersions(a, b)).toBe(semver.compare(a, b));
        expect(validVersion(a)).toBe(semver.valid(a));
      }),
      runs,
    );
  });

  it('agrees on which ranges are valid, and refuses what is not a version', () => {
    fc.assert(
      fc.property(range, (r) => {
        expect(isValidRange(r), JSON.stringify(r)).toBe(semver.validRange(r) !== null);
      }),
      runs,
    );
    for (const bad of ['latest', '1.2.3.4', '>>1', '^^1', '1.2.3 -', 'v1.2.3-01', '01.2.3']) expect(isValidRange(bad), bad).toBe(semver.validRange(bad) !== null);
    for (const bad of ['1.2', 'V1.2.3', '=1.2.3', '1.2.3-', '1.2.3-01', `${2 ** 53}.0.0`]) expect(validVersion(bad), bad).toBeNull();
  });
});

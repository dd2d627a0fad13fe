import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatSri, isPackageNameError, isStrictSemver, isValidDistTag, parsePackageName, parseSri, pickLatest, tarballFileName, tarballPath } from '../src/index.js';

describe('package names', () => {
  it('splits scoped names and accepts unscoped ones', () => {
    expect(parsePackageName('@cartae/plugin-x')).toEqual({ name: '@cartae/plugin-x', scope: 'cartae', bare: 'plugin-x' });
    expect(parsePackageName('left-pad')).toEqual({ name: 'left-pad', scope: null, bare: 'left-pad' });
  });

  it.each([
    ['', 'empty'],
    ['Upper', 'invalid package name'],
    ['@scope', 'has no "/"'],
    ['@Bad/x', 'invalid scope'],
    ['@s/../x', 'invalid package name'],
    ['.hidden', 'invalid package name'],
    ['_under', 'invalid package name'],
    ['a b', 'invalid package name'],
    ['node_modules', 'reserved'],
    ['x'.repeat(215), 'longer than 214'],
  ])('refuses %j with a reason', (name, reason) => {
    const parsed = parsePackageName(name);
    expect(isPackageNameError(parsed)).toBe(true);
    expect((parsed as { error: string }).error).toContain(reason);
  });

  it('names tarballs as npm pack does', () => {
    expect(tarballFileName('@cartae/plugin-x', '1.2.3')).toBe('plugin-x-1.2.3.tgz');
    expect(tarballPath('@cartae/plugin-x', '1.2.3')).toBe('/@cartae/plugin-x/-/plugin-x-1.2.3.tgz');
    expect(tarballPath('left-pad', '1.0.0-beta.1')).toBe('/left-pad/-/left-pad-1.0.0-beta.1.tgz');
  });
});

describe('strict SemVer and dist-tags', () => {
  it('accepts only canonical versions', () => {
    for (const ok of ['1.0.0', '0.0.1-alpha.1', '1.2.3+build.5', '10.20.30-rc.1+meta']) expect(isStrictSemver(ok)).toBe(true);
    for (const bad of ['v1.0.0', '=1.0.0', '1.0', '01.0.0', '1.0.0 ', 'latest', '']) expect(isStrictSemver(bad)).toBe(false);
  });

  it('picks the highest stable version as latest, a prerelease only when nothing is stable', () => {
    expect(pickLatest(['1.0.0', '2.0.0-beta.1', '1.5.0'])).toBe('1.5.0');
    expect(pickLatest(['2.0.0-beta.1', '2.0.0-alpha.3'])).toBe('2.0.0-beta.1');
    expect(pickLatest([])).toBeNull();
  });

  it('refuses tags that could be read as versions or ranges', () => {
    for (const ok of ['latest', 'next', 'beta', 'stable', 'v2-preview']) expect(isValidDistTag(ok)).toBe(true);
    for (const bad of ['1.0.0', '^1', '', 'has space', '-x']) expect(isValidDistTag(bad)).toBe(false);
  });

  it('the latest pick is always one of the versions and never a prerelease when a stable one exists', () => {
    const version = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20), fc.option(fc.constantFrom('alpha.1', 'beta.2', 'rc.1'), { nil: undefined })).map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`);
    fc.assert(
      fc.property(fc.array(version, { minLength: 1, maxLength: 20 }), (versions) => {
        const latest = pickLatest(versions)!;
        expect(versions).toContain(latest);
        if (versions.some((v) => !v.includes('-'))) expect(latest.includes('-')).toBe(false);
      }),
    );
  });
});

describe('SRI', () => {
  it('parses the strongest hash of a multi-hash string and round-trips', () => {
    expect(parseSri('sha1-AAAA sha512-BBBB==')).toEqual({ algorithm: 'sha512', digest: 'BBBB==' });
    expect(formatSri('sha512', 'BBBB==')).toBe('sha512-BBBB==');
    expect(parseSri('md5-xyz')).toBeNull();
  });
});

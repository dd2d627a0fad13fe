import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import semver from 'semver';
import {
  OsvAdvisorySchema,
  advisorySeverity,
  cvss3BaseScore,
  declaredDependencies,
  declaredDependency,
  findVulnerabilities,
  npmAffectedRange,
  rangeCanResolveInto,
  versionIsAffected,
  type OsvAffected,
  type OsvEvent,
} from '@wharf/core';
import { osvAdvisory } from './supply-chain-support.js';

const affected = (events: OsvEvent[], versions?: string[]): OsvAffected => ({ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events }], versions });

/** The OSV specification's own evaluation algorithm (events sorted by version, "0" first), as the oracle. */
function osvSaysAffected(version: string, events: OsvEvent[]): boolean {
  const key = (e: OsvEvent) => Object.values(e)[0]!;
  const sorted = [...events].sort((a, b) => (key(a) === '0' ? -1 : key(b) === '0' ? 1 : semver.compare(key(a), key(b))));
  let vulnerable = false;
  for (const e of sorted) {
    if ('introduced' in e && (e.introduced === '0' || semver.gte(version, e.introduced))) vulnerable = true;
    else if ('fixed' in e && semver.gte(version, e.fixed)) vulnerable = false;
    else if ('last_affected' in e && semver.gt(version, e.last_affected)) vulnerable = false;
  }
  return vulnerable;
}

describe('OSV affected ranges as npm ranges', () => {
  it('converts the common shapes', () => {
    expect(npmAffectedRange(affected([{ introduced: '0' }, { fixed: '1.2.3' }]))).toBe('>=0.0.0 <1.2.3');
    expect(npmAffectedRange(affected([{ introduced: '1.0.0' }, { last_affected: '1.4.0' }]))).toBe('>=1.0.0 <=1.4.0');
    expect(npmAffectedRange(affected([{ fixed: '2.0.1' }, { introduced: '2.0.0' }, { fixed: '1.5.0' }, { introduced: '1.0.0' }]))).toBe('>=1.0.0 <1.5.0 || >=2.0.0 <2.0.1');
    expect(npmAffectedRange(affected([{ introduced: '3.0.0' }]))).toBe('>=3.0.0');
    expect(npmAffectedRange(affected([{ introduced: '3.0.0' }, { limit: '4.0.0' }]))).toBe('>=3.0.0 <4.0.0');
    expect(npmAffectedRange(affected([{ introduced: '9.0.0' }, { fixed: '9.0.2' }], ['1.0.0', '1.0.1']))).toBe('>=9.0.0 <9.0.2 || =1.0.0 || =1.0.1');
    expect(npmAffectedRange({ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'GIT', repo: 'https://git.test/x', events: [{ introduced: 'abc' }] }] })).toBeNull();
  });

  it('agrees with the OSV specification\'s evaluation on random event lists and versions', () => {
    const version = fc.tuple(fc.nat(4), fc.nat(4), fc.nat(4), fc.option(fc.constantFrom('alpha', 'beta.1', 'rc.2'), { nil: undefined })).map(([a, b, c, pre]) => `${a + 1}.${b}.${c}${pre ? `-${pre}` : ''}`);
    const events = fc
      .tuple(
        fc.uniqueArray(fc.tuple(version, fc.boolean()), { minLength: 1, maxLength: 6, selector: ([v]) => v }),
        // One kind of closing event per range, as the schema requires.
        fc.constantFrom('fixed', 'last_affected'),
        fc.boolean(),
      )
      .map(([list, closing, fromZero]) => {
        const evts = list.map(([v, opens]) => ({ [opens ? 'introduced' : closing]: v }) as OsvEvent);
        return fromZero || !evts.some((e) => 'introduced' in e) ? [{ introduced: '0' } as OsvEvent, ...evts] : evts;
      });
    // Half the probes sit exactly on an event's version, where inclusive and exclusive bounds differ.
    const eventsAndProbe = events.chain((evts) => {
      const onEvents = evts.map((e) => Object.values(e)[0]!).filter((v) => v !== '0');
      return fc.tuple(fc.constant(evts), onEvents.length > 0 ? fc.oneof(version, fc.constantFrom(...onEvents)) : version);
    });
    fc.assert(
      fc.property(eventsAndProbe, ([evts, v]) => {
        const range = npmAffectedRange(affected(evts))!;
        expect(versionIsAffected(v, range), `${v} in ${range} (${JSON.stringify(evts)})`).toBe(osvSaysAffected(v, evts));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('which declared dependencies are affected', () => {
  const vulnerable = '>=1.0.0 <1.2.3';
  it('is "the declared range shares a version with the affected range"', () => {
    expect(rangeCanResolveInto('^1.1.0', vulnerable)).toBe(true);
    expect(rangeCanResolveInto('~1.2.0', vulnerable)).toBe(true);
    expect(rangeCanResolveInto('1.2.2', vulnerable)).toBe(true);
    expect(rangeCanResolveInto('*', vulnerable)).toBe(true);
    expect(rangeCanResolveInto('^1.2.3', vulnerable)).toBe(false);
    expect(rangeCanResolveInto('1.2.3', vulnerable)).toBe(false);
    expect(rangeCanResolveInto('>=2.0.0', vulnerable)).toBe(false);
    expect(rangeCanResolveInto('0.x', vulnerable)).toBe(false);
  });

  it('reads npm aliases under the real name and skips specs that are not version ranges', () => {
    expect(declaredDependency('pm', 'npm:pollute-me@^1.0.0')).toEqual({ name: 'pollute-me', range: '^1.0.0' });
    expect(declaredDependency('pm', 'npm:@scope/pollute-me@1.x')).toEqual({ name: '@scope/pollute-me', range: '1.x' });
    expect(declaredDependency('pm', 'npm:pollute-me')).toEqual({ name: 'pollute-me', range: '*' });
    for (const spec of ['latest', 'github:u/r', 'git+https://git.test/r.git', 'file:../x', 'https://x.test/x.tgz']) expect(declaredDependency('x', spec)).toBeNull();
  });

  it('finds direct runtime dependencies only, and ignores withdrawn advisories', () => {
    const advisories = [
      OsvAdvisorySchema.parse(osvAdvisory('GHSA-one', 'lib-a', '1.0.0', '1.2.3')),
      OsvAdvisorySchema.parse(osvAdvisory('GHSA-two', 'lib-b', '0', '5.0.0', { withdrawn: '2026-01-01T00:00:00Z' })),
    ];
    const deps = declaredDependencies({ dependencies: { 'lib-a': '^1.0.0', 'lib-b': '^1.0.0' }, devDependencies: { 'lib-a': '1.0.0' } });
    expect(findVulnerabilities(deps, advisories).map((f) => [f.advisory, f.component])).toEqual([['GHSA-one', 'lib-a']]);
    expect(findVulnerabilities(declaredDependencies({ devDependencies: { 'lib-a': '1.0.0' } }), advisories)).toEqual([]);
  });
});

describe('severity', () => {
  it('computes CVSS v3 base scores as FIRST\'s calculator does', () => {
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(9.8);
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H')).toBe(9.9);
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N')).toBe(6.1);
    expect(cvss3BaseScore('CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N')).toBe(5.5);
    expect(cvss3BaseScore('CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N')).toBe(5.9);
    expect(cvss3BaseScore('CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N')).toBe(0);
    expect(cvss3BaseScore('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBeNull();
    expect(cvss3BaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBeNull();
  });

  it('prefers the database\'s own rating, then CVSS, then npm\'s default of "high"', () => {
    const base = osvAdvisory('GHSA-sev', 'x', '0', '1.0.0');
    expect(advisorySeverity(OsvAdvisorySchema.parse({ ...base, database_specific: { severity: 'MODERATE' } })).severity).toBe('moderate');
    expect(advisorySeverity(OsvAdvisorySchema.parse(base)).severity).toBe('critical');
    expect(advisorySeverity(OsvAdvisorySchema.parse({ ...base, severity: undefined })).severity).toBe('high');
  });
});

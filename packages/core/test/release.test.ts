import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluateGate, inRollout, resolveRolloutVersion, rolloutBucket, shouldRollBack, DEFAULT_RELEASE_POLICY, ReleasePolicySchema, type ReleasePolicy } from '../src/index.js';

const percentage = fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100);

describe('rollout cohorts', () => {
  it('raising the percentage only adds installs, and the same install always resolves the same way', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), percentage, percentage, (plugin, installId, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const rollout = (p: number) => ({ plugin, version: '2.0.0', previousVersion: '1.0.0', percentage: p, state: 'active' as const });
        const before = resolveRolloutVersion(rollout(low), '1.0.0', installId);
        const after = resolveRolloutVersion(rollout(high), '1.0.0', installId);
        if (before.inRollout) expect(after.inRollout).toBe(true);
        expect(resolveRolloutVersion(rollout(low), '1.0.0', installId)).toEqual(before);
        expect(before.version).toBe(before.inRollout ? '2.0.0' : '1.0.0');
      }),
      { numRuns: 2000 },
    );
  });

  it('puts close to the requested share of installs in the rollout', () => {
    const n = 20_000;
    for (const p of [1, 10, 50]) {
      let inside = 0;
      for (let i = 0; i < n; i++) if (inRollout(rolloutBucket('@acme/x', `install-${i}`), p)) inside++;
      expect(Math.abs(inside / n - p / 100)).toBeLessThan(0.01);
    }
    expect(inRollout(rolloutBucket('p', 'i'), 0)).toBe(false);
    expect(inRollout(rolloutBucket('p', 'i'), 100)).toBe(true);
  });

  it('salts buckets by plugin, so one install is not first in every rollout', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `i${i}`);
    const same = ids.filter((id) => rolloutBucket('a', id) === rolloutBucket('b', id)).length;
    expect(same).toBeLessThan(5);
  });

  it('serves the dist-tag once a rollout is completed or rolled back, and the frozen cohort while halted', () => {
    const base = { plugin: 'p', version: '2.0.0', previousVersion: '1.0.0', percentage: 100 };
    expect(resolveRolloutVersion({ ...base, state: 'rolled_back' }, '1.0.0', 'x').version).toBe('1.0.0');
    expect(resolveRolloutVersion({ ...base, state: 'completed' }, '2.0.0', 'x').version).toBe('2.0.0');
    expect(resolveRolloutVersion({ ...base, state: 'halted' }, '1.0.0', 'x').version).toBe('2.0.0');
    expect(resolveRolloutVersion(null, null, 'x').version).toBeNull();
  });
});

describe('automatic rollback rule', () => {
  const rule = { errorThreshold: 0.05, minSample: 100 };
  it('needs the minimum sample on both versions', () => {
    expect(shouldRollBack({ activations: 10, errors: 80 }, { activations: 500, errors: 0 }, rule)).toBe(false);
    expect(shouldRollBack({ activations: 50, errors: 80 }, { activations: 50, errors: 0 }, rule)).toBe(false);
    expect(shouldRollBack({ activations: 50, errors: 80 }, { activations: 500, errors: 0 }, rule)).toBe(true);
  });
  it('compares with the previous version: a shared baseline of errors is not the new version’s fault', () => {
    expect(shouldRollBack({ activations: 90, errors: 10 }, { activations: 92, errors: 8 }, rule)).toBe(false);
    expect(shouldRollBack({ activations: 80, errors: 20 }, { activations: 92, errors: 8 }, rule)).toBe(true);
    expect(shouldRollBack({ activations: 94, errors: 6 }, null, rule)).toBe(true);
  });
});

describe('version gate', () => {
  const policy = (p: Partial<ReleasePolicy>): ReleasePolicy => ({ ...DEFAULT_RELEASE_POLICY, latest: '3.0.0', minSupported: '2.0.0', ...p });
  it('SOFT_BLOCK answers 200 and flags the update; HARD_BLOCK answers 426 below minSupported', () => {
    expect(evaluateGate(policy({ mode: 'SOFT_BLOCK' }), '1.9.9', 4)).toMatchObject({ status: 200, body: { requiresUpdate: true, updateAvailable: true, publishedConfigVersion: 4 } });
    expect(evaluateGate(policy({ mode: 'HARD_BLOCK' }), '1.9.9', null)).toMatchObject({ status: 426, body: { requiresUpdate: true, mode: 'HARD_BLOCK' } });
    expect(evaluateGate(policy({ mode: 'HARD_BLOCK' }), '2.0.0', null)).toMatchObject({ status: 200, body: { requiresUpdate: false, updateAvailable: true } });
    expect(evaluateGate(policy({ mode: 'HARD_BLOCK' }), '3.0.0', null)).toMatchObject({ status: 200, body: { updateAvailable: false } });
    expect(evaluateGate(policy({ mode: 'HARD_BLOCK' }), '2.0.0-beta.1', null)).toMatchObject({ status: 426 });
  });
  it('MAINTENANCE answers 503 to every version, with Retry-After when set', () => {
    expect(evaluateGate(policy({ mode: 'MAINTENANCE', retryAfterSeconds: 120 }), '3.0.0', null)).toMatchObject({ status: 503, retryAfterSeconds: 120, body: { requiresUpdate: false } });
  });
  it('rejects a missing or non-SemVer client version, and a policy with minSupported above latest', () => {
    expect(evaluateGate(policy({}), undefined, null)).toMatchObject({ status: 400 });
    expect(evaluateGate(policy({}), 'banana', null)).toMatchObject({ status: 400 });
    expect(ReleasePolicySchema.safeParse({ ...policy({}), minSupported: '4.0.0' }).success).toBe(false);
  });
});

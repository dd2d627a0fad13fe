import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ClientFeaturesSchema,
  FlagEvaluator,
  flagSetProblem,
  flagStatus,
  murmurhash3,
  normalizedValue,
  ofrepResult,
  ofrepToUnleashContext,
  OfrepContextSchema,
  patchFlag,
  servedFlagSet,
  type ClientFeatures,
} from '../src/index.js';

/** The textbook byte-wise MurmurHash3 x86_32, to check the inline-UTF-8 version against. */
function reference(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const n = bytes.length - (bytes.length % 4);
  const step = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  for (let i = 0; i < n; i += 4) {
    h ^= step(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let i = bytes.length - 1; i >= n; i--) k = (k << 8) | bytes[i]!;
  if (bytes.length > n) h ^= step(k);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('murmurhash3', () => {
  it('matches published test vectors', () => {
    expect(murmurhash3('', 0)).toBe(0);
    expect(murmurhash3('', 1)).toBe(0x514e28b7);
    expect(murmurhash3('hello', 0)).toBe(0x248bfa47);
    expect(murmurhash3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
  });
  it('hashes the UTF-8 bytes of any string, surrogate pairs and lone surrogates included', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => murmurhash3(s, seed) === reference(enc.encode(s), seed)),
      { numRuns: 500 },
    );
    expect(murmurhash3('😊_φriend_你好', 86028157)).toBe(reference(enc.encode('😊_φriend_你好'), 86028157));
  });
  it('normalises into 1..n', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.integer({ min: 1, max: 1000 }), (id, group, n) => {
      const v = normalizedValue(id, group, n);
      return v >= 1 && v <= n;
    }));
  });
});

const set = (features: ClientFeatures['features'], segments: ClientFeatures['segments'] = []): ClientFeatures => ({ version: 1, features, segments });

describe('the four states', () => {
  it('maps ON, OFF, ROLLOUT and FORCE_OFF onto Unleash definitions and reads them back', () => {
    const on = patchFlag('f', undefined, false, { state: 'ON' });
    expect(flagStatus(on.feature, on.forcedOff)).toEqual({ state: 'ON' });
    const rollout = patchFlag('f', on.feature, false, { state: 'ROLLOUT', percentage: 30 });
    expect(flagStatus(rollout.feature, false)).toEqual({ state: 'ROLLOUT', percentage: 30 });
    const raised = patchFlag('f', rollout.feature, false, { percentage: 60 });
    expect(flagStatus(raised.feature, false)).toEqual({ state: 'ROLLOUT', percentage: 60 });
    const off = patchFlag('f', raised.feature, false, { state: 'OFF' });
    expect(flagStatus(off.feature, false)).toEqual({ state: 'OFF' });
    const killed = patchFlag('f', raised.feature, false, { state: 'FORCE_OFF' });
    expect(killed.forcedOff).toBe(true);
    expect(flagStatus(killed.feature, true)).toEqual({ state: 'FORCE_OFF' });
    expect(() => patchFlag('g', undefined, false, { percentage: 5 })).toThrow(/does not exist/);
    expect(() => patchFlag('f', on.feature, false, { percentage: 5 })).toThrow(/only to a flag in the ROLLOUT/);
    expect(() => patchFlag('f', on.feature, false, { state: 'ROLLOUT' })).toThrow(/needs a percentage/);
  });

  it('ROLLOUT is sticky per targeting key and only grows: raising the percentage keeps everyone who had it', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (ids, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const lowFlag = patchFlag('exp', undefined, false, { state: 'ROLLOUT', percentage: low }).feature;
        const highFlag = patchFlag('exp', undefined, false, { state: 'ROLLOUT', percentage: high }).feature;
        const lowEval = new FlagEvaluator(set([lowFlag]));
        const highEval = new FlagEvaluator(set([highFlag]));
        return ids.every((userId) => {
          const l = lowEval.isEnabled('exp', { userId });
          return l === lowEval.isEnabled('exp', { userId }) && (!l || highEval.isEnabled('exp', { userId }));
        });
      }),
    );
  });

  it('a 30% rollout enables about 30% of targeting keys', () => {
    const evaluator = new FlagEvaluator(set([patchFlag('exp', undefined, false, { state: 'ROLLOUT', percentage: 30 }).feature]));
    let on = 0;
    for (let i = 0; i < 10_000; i++) if (evaluator.isEnabled('exp', { userId: `tenant-${i}` })) on++;
    expect(on / 10_000).toBeGreaterThan(0.28);
    expect(on / 10_000).toBeLessThan(0.32);
  });

  it('FORCE_OFF beats every rule: served disabled, so its variants and dependants see it off', () => {
    const parent = patchFlag('p', undefined, false, { state: 'ON', variants: [{ name: 'blue', weight: 1000 }] }).feature;
    const child = { name: 'c', enabled: true, strategies: [{ name: 'default' }], dependencies: [{ feature: 'p' }] };
    const served = new FlagEvaluator(servedFlagSet(set([parent, child]), new Set(['p'])));
    expect(served.evaluate('p', { userId: 'u' })).toEqual({ enabled: false, variant: { name: 'disabled', enabled: false, feature_enabled: false }, reason: 'DISABLED' });
    expect(served.isEnabled('c', { userId: 'u' })).toBe(false);
    const normal = new FlagEvaluator(servedFlagSet(set([parent, child]), new Set()));
    expect(normal.getVariant('p', { userId: 'u' }).name).toBe('blue');
    expect(normal.isEnabled('c')).toBe(true);
  });
});

describe('evaluation reasons', () => {
  const evaluator = new FlagEvaluator(
    set([
      { name: 'static', enabled: true, strategies: [{ name: 'default' }] },
      { name: 'targeted', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'appName', operator: 'IN', values: ['a'] }] }] },
      { name: 'split', enabled: true, strategies: [{ name: 'default' }], variants: [{ name: 'x', weight: 500, payload: { type: 'json', value: '{"n":1}' } }, { name: 'y', weight: 500, overrides: [{ contextName: 'userId', values: ['vip'] }] }] },
      { name: 'off', enabled: false },
    ]),
  );
  it('tells STATIC, TARGETING_MATCH, SPLIT, DISABLED and DEFAULT apart', () => {
    expect(evaluator.evaluate('static')?.reason).toBe('STATIC');
    expect(evaluator.evaluate('targeted', { appName: 'a' })?.reason).toBe('TARGETING_MATCH');
    expect(evaluator.evaluate('targeted', { appName: 'b' })?.reason).toBe('DEFAULT');
    expect(evaluator.evaluate('split', { userId: 'u1' })?.reason).toBe('SPLIT');
    expect(evaluator.evaluate('split', { userId: 'vip' })).toMatchObject({ reason: 'TARGETING_MATCH', variant: { name: 'y' } });
    expect(evaluator.evaluate('off')?.reason).toBe('DISABLED');
    expect(evaluator.evaluate('missing')).toBeUndefined();
  });
  it('answers OFREP values: the enabled state, or the variant payload typed', () => {
    expect(ofrepResult('static', evaluator.evaluate('static')!)).toEqual({ key: 'static', value: true, reason: 'STATIC', variant: 'on' });
    expect(ofrepResult('off', evaluator.evaluate('off')!)).toEqual({ key: 'off', value: false, reason: 'DISABLED', variant: 'off' });
    const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
    const x = users.find((u) => evaluator.getVariant('split', { userId: u }).name === 'x')!;
    expect(ofrepResult('split', evaluator.evaluate('split', { userId: x })!)).toEqual({ key: 'split', value: { n: 1 }, reason: 'SPLIT', variant: 'x' });
    expect(ofrepResult('split', evaluator.evaluate('split', { userId: 'vip' })!)).toEqual({ key: 'split', value: true, reason: 'TARGETING_MATCH', variant: 'y' });
  });
});

describe('OFREP context mapping', () => {
  it('maps userId else targetingKey, keeps the Unleash fields, and sends every other attribute to properties', () => {
    const ctx = OfrepContextSchema.parse({ targetingKey: 't', sessionId: 's', remoteAddress: '10.0.0.1', environment: 'prod', appName: 'app', currentTime: '2026-01-01T00:00:00Z', properties: { plan: 'pro', seats: 3, gone: null }, tenant: 'acme', beta: true });
    expect(ofrepToUnleashContext(ctx)).toEqual({ userId: 't', sessionId: 's', remoteAddress: '10.0.0.1', environment: 'prod', appName: 'app', currentTime: '2026-01-01T00:00:00Z', properties: { plan: 'pro', seats: '3', tenant: 'acme', beta: 'true' } });
    expect(ofrepToUnleashContext(OfrepContextSchema.parse({ targetingKey: 't', userId: 'u' })).userId).toBe('u');
  });
  it('refuses nested values, non-string known fields and bad dates', () => {
    expect(OfrepContextSchema.safeParse({ tenant: { id: 1 } }).success).toBe(false);
    expect(OfrepContextSchema.safeParse({ targetingKey: 42 }).success).toBe(false);
    expect(OfrepContextSchema.safeParse({ currentTime: 'yesterday' }).success).toBe(false);
    expect(OfrepContextSchema.safeParse({ properties: { a: [1] } }).success).toBe(false);
  });
});

describe('flag set validation', () => {
  it('accepts a sound set and names the first problem of a bad one', () => {
    const good = ClientFeaturesSchema.parse({ version: 1, segments: [{ id: 1, constraints: [{ contextName: 'appName', operator: 'IN', values: ['a'] }] }], features: [{ name: 'a', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '50' }, segments: [1] }] }] });
    expect(flagSetProblem(good)).toBeNull();
    const bad = (features: unknown[], segments: unknown[] = []) => flagSetProblem(ClientFeaturesSchema.parse({ version: 1, features, segments }));
    expect(bad([{ name: 'a', enabled: true }, { name: 'a', enabled: false }])).toMatch(/defined twice/);
    expect(bad([{ name: 'a', enabled: true, strategies: [{ name: 'default', segments: [9] }] }])).toMatch(/segment 9 does not exist/);
    expect(bad([{ name: 'a', enabled: true, strategies: [{ name: 'custom' }] }])).toMatch(/unknown strategy/);
    expect(bad([{ name: 'a', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'x', operator: 'LIKE', values: [] }] }] }])).toMatch(/unknown operator LIKE/);
    expect(bad([{ name: 'a', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'x', operator: 'REGEX', value: '(?=a)' }] }] }])).toMatch(/regular expression/);
    expect(bad([{ name: 'a', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '150' } }] }])).toMatch(/rollout must be/);
    expect(bad([{ name: 'a', enabled: true, variants: [{ name: 'v', weight: 1, payload: { type: 'json', value: '{' } }] }])).toMatch(/does not parse/);
    expect(bad([{ name: 'a', enabled: true, dependencies: [{ feature: 'b' }] }])).toMatch(/depends on b, which does not exist/);
  });
});

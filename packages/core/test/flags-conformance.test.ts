import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ClientFeaturesSchema, FlagEvaluator, type UnleashContext } from '../src/index.js';

/**
 * Unleash's public client specification, every file its index lists, against our evaluator.
 * Only the delta-API files are left out: Wharf serves whole flag sets, not Unleash's delta stream.
 */
const SKIPPED = new Set(['19-delta-api-hydration.json', '20-delta-api-events.json']);

const specDir = join(dirname(createRequire(import.meta.url).resolve('@unleash/client-specification/package.json')), 'specifications');
const index = JSON.parse(readFileSync(join(specDir, 'index.json'), 'utf8')) as string[];

interface Spec {
  name: string;
  state: unknown;
  tests?: Array<{ description: string; context: UnleashContext; toggleName: string; expectedResult: boolean }>;
  variantTests?: Array<{ description: string; context: UnleashContext; toggleName: string; expectedResult: unknown }>;
}

describe('Unleash client specification', () => {
  it('lists the files we run, and only the delta-API ones are skipped', () => {
    expect(index.length).toBeGreaterThanOrEqual(22);
    expect(index.filter((f) => SKIPPED.has(f))).toEqual([...SKIPPED]);
  });

  for (const file of index.filter((f) => !SKIPPED.has(f))) {
    const spec = JSON.parse(readFileSync(join(specDir, file), 'utf8')) as Spec;
    describe(file, () => {
      const state = ClientFeaturesSchema.parse(spec.state);
      const evaluator = new FlagEvaluator(state);
      for (const t of spec.tests ?? []) {
        it(t.description, () => {
          expect(evaluator.isEnabled(t.toggleName, t.context)).toBe(t.expectedResult);
          // isEnabled has its own fast path: the full evaluation must agree with it.
          expect(evaluator.evaluate(t.toggleName, t.context)?.enabled ?? false).toBe(t.expectedResult);
        });
      }
      for (const t of spec.variantTests ?? []) {
        it(`variant: ${t.description}`, () => {
          expect(evaluator.getVariant(t.toggleName, t.context)).toEqual(t.expectedResult);
        });
      }
    });
  }
});

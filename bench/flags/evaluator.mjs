// Evaluations per second of @wharf/core's flag evaluator (the code an SDK runs locally), in this process.
import { FlagEvaluator, patchFlag } from '../../packages/core/dist/index.js';

const rollout = patchFlag('simple-rollout', undefined, false, { state: 'ROLLOUT', percentage: 50 }).feature;
export const set = {
  version: 1,
  segments: [],
  features: [
    rollout,
    { name: 'on', enabled: true, strategies: [{ name: 'default' }] },
    {
      name: 'constrained',
      enabled: true,
      strategies: [{ name: 'flexibleRollout', parameters: { rollout: '50', stickiness: 'default', groupId: 'constrained' }, constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro', 'team'] }, { contextName: 'version', operator: 'SEMVER_GTE', value: '2.0.0' }] }],
    },
    { name: 'variants', enabled: true, strategies: [{ name: 'default' }], variants: [{ name: 'a', weight: 500 }, { name: 'b', weight: 500 }] },
  ],
};

const evaluator = new FlagEvaluator(set);
export const contexts = Array.from({ length: 4096 }, (_, i) => ({ userId: `tenant-${i * 7919}`, properties: { plan: i % 3 ? 'pro' : 'free', version: `2.${i % 10}.0` } }));

const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/**
 * Runs `fn` over the contexts for `ms` milliseconds of this process's CPU time (after a warm-up) and
 * returns calls per CPU-second and per wall-clock second. CPU time is the figure that holds on a
 * shared machine; wall-clock time drops with every other process competing for the cores.
 */
export function measure(fn, ms) {
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += fn(contexts[i & 4095]) ? 1 : 0;
  let calls = 0;
  const cpu0 = cpuSeconds();
  const wall0 = process.hrtime.bigint();
  let cpu = cpu0;
  while (cpu - cpu0 < ms / 1000) {
    for (let i = 0; i < 20_000; i++) sink += fn(contexts[(calls + i) & 4095]) ? 1 : 0;
    calls += 20_000;
    cpu = cpuSeconds();
  }
  const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
  globalThis.__sink = sink;
  return { perCpuSecond: calls / (cpu - cpu0), perSecond: calls / wall };
}

export function runEvaluatorBench(ms = 2000) {
  return [
    ['isEnabled, simple 50% rollout (flexibleRollout, userId)', measure((c) => evaluator.isEnabled('simple-rollout', c), ms)],
    ['isEnabled, static ON', measure((c) => evaluator.isEnabled('on', c), ms)],
    ['isEnabled, rollout + IN + SEMVER_GTE constraints', measure((c) => evaluator.isEnabled('constrained', c), ms)],
    ['getVariant, two 50/50 variants', measure((c) => evaluator.getVariant('variants', c).enabled, ms)],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, rate] of runEvaluatorBench(Number(process.argv[2] ?? 2000))) {
    console.log(`${(rate.perCpuSecond / 1e6).toFixed(2).padStart(7)} M/CPU-s ${(rate.perSecond / 1e6).toFixed(2).padStart(7)} M/s wall  ${name}`);
  }
}

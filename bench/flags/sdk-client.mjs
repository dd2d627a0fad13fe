// Evaluations per second through the SDK's FlagClient (what a host application calls), in this process.
// The set is the evaluator bench's, downloaded once through the client's real refresh path (a fetch
// that answers from memory): only evaluation is measured, not the network.
import { OpenFeature } from '@openfeature/web-sdk';
import { FlagClient } from '../../packages/sdk/dist/index.js';
import { WharfWebProvider } from '../../packages/sdk/dist/flags/openfeature-web.js';
import { contexts, measure, set } from './evaluator.mjs';

export async function runSdkBench(ms = 2000) {
  const body = JSON.stringify(set);
  const client = new FlagClient({ url: 'http://wharf.invalid', fetch: async () => new Response(body, { headers: { 'content-type': 'application/json', etag: '"1"' } }) });
  if (!(await client.refresh())) throw new Error('the flag set did not load');
  // Same answers as the evaluator, or the figure would measure something else.
  for (const c of contexts) if (client.isEnabled('simple-rollout', c) !== client.evaluator.isEnabled('simple-rollout', c)) throw new Error('client and evaluator disagree');
  const results = [
    ['FlagClient.isEnabled, simple 50% rollout', measure((c) => client.isEnabled('simple-rollout', c), ms)],
    ['FlagClient.getVariant, two 50/50 variants', measure((c) => client.getVariant('variants', c).enabled, ms)],
    ['FlagClient.evaluate (enabled, variant, reason), simple rollout', measure((c) => client.evaluate('simple-rollout', c).enabled, ms)],
  ];
  // A browser page: one static context, every evaluation through OpenFeature's client (hooks, details, events).
  await OpenFeature.setContext({ targetingKey: 'tenant-42' });
  await OpenFeature.setProviderAndWait(new WharfWebProvider(client));
  const of = OpenFeature.getClient();
  results.push(['OpenFeature web-sdk getBooleanValue via WharfWebProvider, static context, simple rollout', measure(() => of.getBooleanValue('simple-rollout', false), ms)]);
  await OpenFeature.close();
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, rate] of await runSdkBench(Number(process.argv[2] ?? 2000))) {
    console.log(`${(rate.perCpuSecond / 1e6).toFixed(2).padStart(7)} M/CPU-s ${(rate.perSecond / 1e6).toFixed(2).padStart(7)} M/s wall  ${name}`);
  }
}

// A Wharf server for the OFREP bench (SQLite in a temp dir), seeded with a flag set; prints its URL.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWharf, loadConfig } from '../../packages/server/dist/index.js';

const flagCount = Number(process.argv[2] ?? 20);
const dataDir = await mkdtemp(join(tmpdir(), 'wharf-bench-flags-'));
const wharf = await createWharf(loadConfig({ dataDir, logLevel: 'error', adminToken: 'bench-admin-token-0123456789' }, {}, null));
const features = Array.from({ length: flagCount }, (_, i) =>
  i % 4 === 0
    ? { name: `flag-${i}`, enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '30', stickiness: 'default', groupId: `flag-${i}` } }] }
    : i % 4 === 1
      ? { name: `flag-${i}`, enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro'] }] }] }
      : i % 4 === 2
        ? { name: `flag-${i}`, enabled: true, strategies: [{ name: 'default' }], variants: [{ name: 'a', weight: 500, payload: { type: 'json', value: '{"x":1}' } }, { name: 'b', weight: 500 }] }
        : { name: `flag-${i}`, enabled: i % 8 === 3, strategies: [{ name: 'default' }] },
);
await wharf.flags.replace({ version: 1, features }, 'bench');
const url = await wharf.app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ url })}\n`);
// The bench asks for this process's CPU time around each load run: requests per CPU-second hold on a busy machine.
process.on('message', () => process.send?.(process.cpuUsage()));
const stop = async () => {
  await wharf.close();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

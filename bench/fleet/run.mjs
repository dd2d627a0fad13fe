#!/usr/bin/env node
// Fleet simulation of issue 6, on demand (`npm run bench:fleet [-- --clients 10000 --skip-build]`):
// 10,000 SourceResolver clients on a virtual clock start on a rate-limited Git-like mirror; the
// operator switches to the CDN, then hybrid with a 10% edge canary, then back to Git, through a real
// Wharf server (SQLite, reached in-process). Prints the table recorded in bench/fleet/README.md.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const { values: opts } = parseArgs({ options: { clients: { type: 'string', default: '10000' }, 'skip-build': { type: 'boolean', default: false } } });
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average before: ${load()}`);
if (!opts['skip-build']) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

// The simulation is TypeScript shared with the vitest test; bundled here against the built SDK.
const bundle = await build({
  entryPoints: [join(here, 'simulate.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  write: false,
  alias: { '@wharf/sdk': join(root, 'packages/sdk/dist/index.js') },
  logLevel: 'error',
});
const { DEFAULT_FLEET, formatReport, injectControlPlane, simulateFleet } = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].contents).toString('base64')}`);
const { createWharf, loadConfig } = await import('../../packages/server/dist/index.js');

const adminToken = 'bench-admin-token-0123456789';
const dataDir = await mkdtemp(join(tmpdir(), 'wharf-bench-fleet-'));
const wharf = await createWharf(loadConfig({ dataDir, logLevel: 'error', adminToken }, {}, null));
try {
  const report = await simulateFleet(injectControlPlane(wharf.app, adminToken), { ...DEFAULT_FLEET, clients: Number(opts.clients) });
  console.log(formatReport(report));
  console.log(`\nload average after: ${load()}`);
} finally {
  await wharf.close();
  await rm(dataDir, { recursive: true, force: true });
}

// Publish cost as the registry grows: every publish lists the version in signed TUF targets (a
// re-signing of all targets) and the catalog is rebuilt after it. Seeds BENCH_SEED versions
// (default 1000) through the npm publish route, then times single publishes and a burst of
// concurrent ones. Run on demand: `npm run bench:publish` (after `npm run build`).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createWharf, loadConfig, packDirectory, publishDocument } from '../../packages/server/dist/index.js';

const SEED = Number(process.env.BENCH_SEED ?? 1000);
const BURST = Number(process.env.BENCH_BURST ?? 20);
const SINGLES = Number(process.env.BENCH_SINGLES ?? 5);
const load = () => loadavg()[0].toFixed(2);

const dataDir = await mkdtemp(join(tmpdir(), 'wharf-bench-publish-'));
const w = await createWharf(loadConfig({ dataDir, logLevel: 'warn', openRegistration: true }, {}, null));
const user = await w.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:bench', payload: { _id: 'org.couchdb.user:bench', name: 'bench', password: 'a-long-password-123', email: 'b@example.com', type: 'user', roles: [] } });
const token = user.json().token;

async function publish(name) {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-bench-pkg-'));
  const manifest = { name, version: '1.0.0' };
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'index.js'), `export const name = ${JSON.stringify(name)};\n`);
  const payload = publishDocument(manifest, await packDirectory(dir));
  await rm(dir, { recursive: true, force: true });
  const res = await w.app.inject({ method: 'PUT', url: `/${name.replace('/', '%2f')}`, headers: { authorization: `Bearer ${token}` }, payload });
  if (res.statusCode !== 201) throw new Error(`${name}: ${res.statusCode} ${res.body}`);
}

const started = performance.now();
for (let i = 0; i < SEED; i += 50) await Promise.all(Array.from({ length: Math.min(50, SEED - i) }, (_, j) => publish(`@seed/p${i + j}`)));
await w.catalog.current();
console.log(`seeded ${SEED} versions in ${((performance.now() - started) / 1000).toFixed(1)} s (load ${load()})`);

const singles = [];
for (let i = 0; i < SINGLES; i++) {
  const t = performance.now();
  await publish(`@single/p${i}`);
  singles.push(performance.now() - t);
  await w.catalog.current();
}
singles.sort((a, b) => a - b);
console.log(`one publish at ${SEED} versions: median ${singles[Math.floor(singles.length / 2)].toFixed(0)} ms, min ${singles[0].toFixed(0)}, max ${singles.at(-1).toFixed(0)} (load ${load()})`);

const t = performance.now();
await Promise.all(Array.from({ length: BURST }, (_, j) => publish(`@burst/p${j}`)));
const burst = performance.now() - t;
console.log(`${BURST} concurrent publishes: ${burst.toFixed(0)} ms in all, ${(burst / BURST).toFixed(0)} ms each (load ${load()})`);
await w.close();
await rm(dataDir, { recursive: true, force: true });

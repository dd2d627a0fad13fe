// The SDK's CatalogManager against a catalog of 10,000 plugins (3 versions each) served over HTTP on
// 127.0.0.1: cold start (root check, fetch, signature, JSON parse, the catalog head validated; plugin
// entries are validated when first read) and a 304 poll.
// Run with `npm run bench:sdk-catalog` after `npm run build`. Target: cold < 200 ms.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { cpus, loadavg } from 'node:os';
import { canonicalBytes, generateKeyPair, publicPart, signBytes, signCatalog } from '../../packages/core/dist/index.js';
import { CatalogManager } from '../../packages/sdk/dist/index.js';

const COUNT = Number(process.env.BENCH_PLUGINS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const day = 86_400_000;
const keys = { root: await generateKeyPair(), targets: await generateKeyPair(), snapshot: await generateKeyPair(), timestamp: await generateKeyPair() };
const signedRoot = {
  _type: 'root', spec_version: '1.0.31', version: 1, expires: new Date(Date.now() + 365 * day).toISOString().replace(/\.\d{3}Z$/, 'Z'), consistent_snapshot: true,
  keys: Object.fromEntries(Object.values(keys).map((k) => [k.keyid, publicPart(k)])),
  roles: Object.fromEntries(Object.entries(keys).map(([role, k]) => [role, { keyids: [k.keyid], threshold: 1 }])),
};
const root = JSON.stringify({ signatures: [{ keyid: keys.root.keyid, sig: signBytes(keys.root, canonicalBytes(signedRoot)) }], signed: signedRoot });
const sri = (s) => `sha512-${createHash('sha512').update(s).digest('base64')}`;
const categories = ['export', 'editor', 'productivity', 'integration', 'theme'];
const plugins = Array.from({ length: COUNT }, (_, i) => ({
  name: `@bench/plugin-${String(i).padStart(5, '0')}`,
  description: `Benchmark plugin number ${i}: exports, imports and renders notes in a realistic amount of words.`,
  listing: { id: `com.bench.plugin-${i}`, displayName: `Plugin ${i}`, category: categories[i % 5], tags: ['bench', `t${i % 50}`], icon: null, homepage: null, state: 'published' },
  distTags: { latest: '1.2.0', stable: '1.2.0' },
  rollouts: i % 100 === 0 ? [{ channel: 'stable', version: '1.2.0', previousVersion: '1.1.0', percentage: 10, state: 'active' }] : [],
  versions: ['1.0.0', '1.1.0', '1.2.0'].map((version) => ({
    version, integrity: sri(`${i}@${version}`), size: 10_000 + i, publishedAt: new Date(Date.now() - day).toISOString(),
    minHostVersion: '2.0.0', engines: '>=2.0.0 <4', signed: i % 2 === 0, deprecated: null, revoked: null,
  })),
}));
const catalog = { _type: 'wharf.catalog', specVersion: 1, version: 1, generatedAt: new Date().toISOString(), expires: new Date(Date.now() + day).toISOString(), plugins, flags: { version: 1, features: [] } };
const body = Buffer.from(signCatalog(catalog, [keys.targets]));
const gz = gzipSync(body);
const etag = '"bench-1"';

const server = createServer((req, res) => {
  if (req.url === '/catalog.json') {
    if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag }).end();
    const gzip = /gzip/.test(req.headers['accept-encoding'] ?? '');
    res.writeHead(200, { etag, 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
    return res.end(gzip ? gz : body);
  }
  res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))], min: s[0] };
};
const ms = (x) => `${x.toFixed(1)} ms`;

const cold = [];
const coldCpu = [];
let warm;
for (let i = 0; i < RUNS + 2; i++) {
  const m = new CatalogManager({ baseUrl: base, root });
  const t = performance.now();
  const cpu = process.cpuUsage();
  const got = await m.initialize();
  const elapsed = performance.now() - t;
  const used = process.cpuUsage(cpu);
  if (got?.plugins.length !== COUNT) throw new Error(`expected ${COUNT} plugins, got ${got?.plugins.length} (${m.status})`);
  // The first runs warm the JIT. CPU time (this process: client and the tiny server) is what load distorts least.
  if (i >= 2) {
    cold.push(elapsed);
    coldCpu.push((used.user + used.system) / 1000);
  }
  warm = m;
}
// What a host that lists every plugin pays on top, once per catalog version: each entry validated.
const whole = [];
for (let i = 0; i < 5; i++) {
  const m = new CatalogManager({ baseUrl: base, root });
  await m.initialize();
  const t = performance.now();
  if (m.getCatalog().plugins.length !== COUNT) throw new Error('entries missing');
  whole.push(performance.now() - t);
}
const polls = [];
for (let i = 0; i < 200; i++) {
  const t = performance.now();
  if (await warm.refresh()) throw new Error('the catalog should be unchanged');
  polls.push(performance.now() - t);
}
server.close();

const c = stats(cold);
const p = stats(polls);
console.log(`catalog: ${COUNT} plugins × 3 versions, ${(body.length / 1e6).toFixed(1)} MB (${(gz.length / 1e6).toFixed(2)} MB gzip)`);
console.log(`cold fetch + verify + parse: median ${ms(c.median)}, p95 ${ms(c.p95)}, min ${ms(c.min)} (${RUNS} runs; target < 200 ms)`);
console.log(`  of which CPU time:         median ${ms(stats(coldCpu).median)}, min ${ms(stats(coldCpu).min)}`);
console.log(`then every entry validated (getCatalog): median ${ms(stats(whole).median)} (a host listing all plugins; installs validate only what they read)`);
console.log(`304 poll round-trip:        median ${ms(p.median)}, p95 ${ms(p.p95)} (200 polls)`);
console.log(`machine: ${cpus().length} × ${cpus()[0].model}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

// PluginInstaller.install of a plugin whose tarball is 1 MB from a Wharf server listening on 127.0.0.1 (SQLite):
// TUF refresh (timestamp, snapshot, targets), tarball download, length + sha256 + sha512 + integrity,
// gunzip + ustar in memory, per-file sha512, package.json check, store, atomic state write. Then
// PluginLoader.loadPlugin of the installed version (read back, integrity again, unpack, import rewrite,
// import from a data: URL, activate). Run with `npm run bench:sdk` after `npm run build`. Target: install < 100 ms.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createWharf, loadConfig, packDirectory, publishDocument } from '../../packages/server/dist/index.js';
import { CatalogManager, MemoryStore, PluginInstaller, PluginLoader } from '../../packages/sdk/dist/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SIZE = Number(process.env.BENCH_PLUGIN_BYTES ?? 1024 * 1024);
const NAME = '@bench/big-plugin';

const dataDir = await mkdtemp(join(tmpdir(), 'wharf-bench-sdk-'));
const wharf = await createWharf(loadConfig({ dataDir, logLevel: 'warn', adminToken: 'bench-admin-token-0123456789', loginRateLimit: 1000 }, {}, null));
try {
  const user = await wharf.app.inject({ method: 'PUT', url: '/-/user/org.couchdb.user:bench', payload: { _id: 'org.couchdb.user:bench', name: 'bench', password: 'a-long-password-123', email: 'b@example.com', type: 'user', roles: [] } });
  const token = user.json().token;

  // A bundle with inlined assets: code in the entry, random base64 strings (what gzip cannot shrink:
  // images, fonts, wasm) in a data module, so the tarball itself is about BENCH_PLUGIN_BYTES.
  const code = (bytes) => {
    const lines = [];
    for (let i = 0, n = 0; n < bytes; i++) {
      const line = `  function f${i}(state, props) { return state.items.filter((x) => x.id !== props.id).map((x) => ({ ...x, n: ${i} })); },`;
      lines.push(line);
      n += line.length + 1;
    }
    return lines.join('\n');
  };
  const pkgDir = await mkdtemp(join(tmpdir(), 'wharf-bench-pkg-'));
  const manifest = { name: NAME, version: '1.0.0', type: 'module', module: 'index.js' };
  await writeFile(join(pkgDir, 'package.json'), JSON.stringify(manifest));
  await writeFile(join(pkgDir, 'index.js'), `const table = [\n${code(SIZE * 0.5)}\n];\nexport function activate(api) { return api.ready(table.length); }\n`);
  await writeFile(join(pkgDir, 'assets.js'), `export default ${JSON.stringify(randomBytes(Math.floor(SIZE * 0.95)).toString('base64').match(/.{1,76}/g))};\n`);
  await writeFile(join(pkgDir, 'style.css'), `.x { color: red; }\n`.repeat(Math.floor((SIZE * 0.1) / 19)));
  const tarball = await packDirectory(pkgDir);
  const unpacked = (await Promise.all(['package.json', 'index.js', 'assets.js', 'style.css'].map((f) => readFile(join(pkgDir, f))))).reduce((n, b) => n + b.length, 0);
  await rm(pkgDir, { recursive: true, force: true });
  const res = await wharf.app.inject({ method: 'PUT', url: `/${NAME.replace('/', '%2f')}`, headers: { authorization: `Bearer ${token}` }, payload: publishDocument(manifest, tarball) });
  if (res.statusCode !== 201) throw new Error(`publish failed: ${res.statusCode} ${res.body}`);

  const base = await wharf.app.listen({ host: '127.0.0.1', port: 0 });
  const root = await (await fetch(`${base}/trust/1.root.json`)).text();

  const install = [];
  const installCpu = [];
  const load = [];
  for (let run = 0; run < RUNS; run++) {
    // A fresh client each run: nothing stored, catalog verified before the clock starts (the host has it at start-up).
    const store = new MemoryStore();
    const catalog = new CatalogManager({ baseUrl: base, root, store });
    await catalog.initialize();
    const installer = new PluginInstaller({ catalog, store, installId: `bench-${run}` });
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const result = await installer.install(NAME);
    install.push(performance.now() - t0);
    const c1 = process.cpuUsage(c0);
    installCpu.push((c1.user + c1.system) / 1000);
    if (result.version !== '1.0.0' || !result.downloaded) throw new Error('unexpected install result');
    const t1 = performance.now();
    const plugin = await new PluginLoader({ installer }).loadPlugin(NAME, { ready: (n) => n });
    load.push(performance.now() - t1);
    if (typeof plugin.exports !== 'number') throw new Error('plugin did not activate');
    installer.dispose();
  }

  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return `median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, p95 ${s[Math.min(s.length - 1, Math.floor(s.length * 0.95))].toFixed(1)} ms, min ${s[0].toFixed(1)} ms`;
  };
  const median = [...install].sort((a, b) => a - b)[Math.floor(install.length / 2)];
  console.log(`sdk install bench: ${NAME}, tarball ${(tarball.length / 1024 / 1024).toFixed(2)} MiB, ${(unpacked / 1024 / 1024).toFixed(2)} MiB unpacked in 4 files, ${RUNS} runs, Node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`install (TUF refresh + download + verify + unpack + per-file hashes + store + activate): ${stats(install)}`);
  // Wall time on a shared machine includes waiting for a core (the server runs in this process too).
  console.log(`install CPU time (client and server, one process): ${stats(installCpu)}`);
  console.log(`loadPlugin (read back + integrity + unpack + import rewrite + import + activate): ${stats(load)}`);
  console.log(median < 100 ? 'install within the 100 ms target' : 'install ABOVE the 100 ms target');
} finally {
  await wharf.close();
  await rm(dataDir, { recursive: true, force: true });
}

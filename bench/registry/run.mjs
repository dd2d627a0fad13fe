#!/usr/bin/env node
// Registry benchmark of issue 2: Wharf vs Verdaccio 6.8 (vs nginx for tarballs), on 127.0.0.1 only.
// `npm run bench:registry -- --help` lists the knobs; bench/registry/README.md explains the cases.
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { readOptions } from './lib/options.mjs';
import { Resources, run } from './lib/processes.mjs';
import { cpuSeconds } from './lib/cputime.mjs';
import { benchDir, ensureNginx, repoRoot, startNginx, startVerdaccio, startWharf, verdaccioDir } from './lib/servers.mjs';
import { cpuTable, loadTable, nginxTable, publishTable, summarise, targetLines } from './lib/report.mjs';

const options = readOptions();
const resources = new Resources();
const log = (msg) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function abort(reason, code) {
  console.error(`\nbench aborted: ${reason}`);
  await resources.cleanup();
  process.exit(code);
}
process.once('SIGINT', () => abort('interrupted', 130));
process.once('SIGTERM', () => abort('terminated', 143));
setTimeout(() => abort(`still running after ${options.timeout} s (--timeout)`, 124), options.timeout * 1000).unref();

/** Bench dependencies live in bench/registry only, installed from its own lock on first use. */
async function setUp() {
  if (!existsSync(join(benchDir, 'node_modules/verdaccio')) || !existsSync(join(benchDir, 'node_modules/autocannon'))) {
    log('installing the bench dependencies (npm ci --prefix bench/registry)');
    await run('npm', ['ci', '--prefix', benchDir, '--no-audit', '--no-fund']);
  }
  if (!options.skipBuild) {
    log('building Wharf (tsc -b tsconfig.build.json)');
    await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: repoRoot });
  }
}

function loadCases(probes) {
  const hot = probes[0];
  const every = (fn) => probes.flatMap(fn);
  const json = { accept: 'application/json' };
  const corgi = { accept: 'application/vnd.npm.install-v1+json' };
  const n = probes.length;
  const tarballs = every((p) => p.tarballPaths).length;
  return [
    { id: 'full-hot', label: 'full packument, 1 package', status: 200, requests: [{ path: hot.path, headers: json }] },
    { id: 'full-spread', label: `full packument, ${n} packages`, status: 200, requests: every((p) => [{ path: p.path, headers: json }]) },
    { id: 'abbreviated-hot', label: 'abbreviated packument, 1 package', status: 200, requests: [{ path: hot.path, headers: corgi }] },
    { id: 'abbreviated-spread', label: `abbreviated packument, ${n} packages`, status: 200, requests: every((p) => [{ path: p.path, headers: corgi }]) },
    { id: '304-hot', label: '304 revalidation (abbreviated), 1 package', status: 304, needsEtag: true, requests: [{ path: hot.path, headers: { ...corgi, 'if-none-match': hot.etag } }] },
    { id: '304-spread', label: `304 revalidation (abbreviated), ${n} packages`, status: 304, needsEtag: true, requests: every((p) => [{ path: p.path, headers: { ...corgi, 'if-none-match': p.etag } }]) },
    { id: 'tarball-hot', label: 'tarball, 1 file', status: 200, requests: [{ path: hot.tarballPath }] },
    { id: 'tarball-spread', label: `tarball, ${tarballs} files`, status: 200, requests: every((p) => p.tarballPaths.map((path) => ({ path }))) },
  ].filter((c) => options.cases.length === 0 || options.cases.some((prefix) => c.id.startsWith(prefix)));
}

const loadAtStart = loadavg();

async function main() {
  await setUp();
  const { createUser, probe, publish, seed, wharfRouteTime } = await import('./lib/client.mjs');
  const { buildPackageSet, buildVersion } = await import('./lib/packages.mjs');
  const { load, unexpected } = await import('./lib/load.mjs');

  const work = resources.tempDir('packages');
  log(`packing ${options.packages} packages × ${options.versions} versions`);
  const set = await buildPackageSet(work, options.packages, options.versions);
  const publishSet = [];
  for (let i = 0; i < options.publishes; i++) publishSet.push(await buildVersion(work, 'bench-publish', `1.0.${i}`, []));

  // The set is published by a "seed" account; the timed publishes by "bench", created afterwards.
  const seedOn = async (server) => {
    const started = performance.now();
    await seed(server, await createUser(server, 'seed', 'seed-password-1'), set, options.seedConcurrency);
    log(`${server.name} seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  const starting = [];
  if (options.only.has('wharf')) {
    starting.push(
      (async () => {
        const wharf = await startWharf(resources, { databaseUrl: options.databaseUrl || undefined, cpuProfDir: options.cpuProf ? resolve(options.cpuProf) : undefined });
        await seedOn(wharf);
        return wharf;
      })(),
    );
  }
  if (options.only.has('verdaccio')) {
    starting.push(
      (async () => {
        const dir = verdaccioDir(resources);
        const seeding = await startVerdaccio(resources, dir, { cheapHashes: true });
        await seedOn(seeding);
        await resources.stop(seeding.proc);
        return startVerdaccio(resources, dir);
      })(),
    );
  }
  if (starting.length === 0) throw new Error('--only must name wharf and/or verdaccio');
  log(`seeding ${options.packages * options.versions} versions on each server`);
  const servers = await Promise.all(starting);
  for (const s of servers) log(`${s.name} at ${s.url}`);
  const tokens = new Map();
  for (const s of servers) tokens.set(s, await createUser(s, 'bench', 'bench-password-1'));

  const probes = new Map();
  for (const s of servers) probes.set(s, await Promise.all(set.map((pkg) => probe(s, pkg))));
  for (const s of servers) {
    const p = probes.get(s)[0];
    log(`${s.name}: full packument of ${set[0].name} ${p.fullBytes} bytes, abbreviated ${p.abbreviatedBytes} bytes`);
  }
  log(`one tarball: ${set[0].versions.at(-1).tarball.length} bytes`);

  let nginx = null;
  if (options.only.has('nginx')) {
    const binary = await ensureNginx();
    if (!binary) log('nginx is not installed (apt-get install -y nginx): tarball baseline skipped');
    else {
      // Same paths as the registries, so the hot and spread cases request the very same URLs.
      const files = new Map();
      const layout = probes.get(servers[0]);
      set.forEach((pkg, i) => pkg.versions.forEach((v, j) => files.set(layout[i].tarballPaths[j].slice(1), v.tarball)));
      nginx = await startNginx(resources, binary, files, options.nginxWorkers);
      log(`nginx at ${nginx.url}`);
    }
  }

  const results = {};
  const measureOpts = { connections: options.connections, duration: options.duration };
  const cases = loadCases(probes.get(servers[0]));
  for (const c of cases) {
    // Servers alternate case by case, so a burst of load from elsewhere on the machine hits both alike.
    const targets = [...servers.map((s) => ({ target: s, caseFor: loadCases(probes.get(s)).find((x) => x.id === c.id) }))];
    if (nginx && c.id.startsWith('tarball')) targets.push({ target: nginx, caseFor: c });
    for (const { target, caseFor } of targets) {
      results[target.name] ??= {};
      if (caseFor.needsEtag && caseFor.requests.some((r) => !r.headers['if-none-match'])) {
        results[target.name][c.id] = { skipped: 'no ETag sent' };
        log(`${c.id} on ${target.name}: skipped, the server sends no ETag`);
        continue;
      }
      if (options.warmup > 0) await load(target.url, caseFor.requests, { ...measureOpts, duration: options.warmup });
      const cpuBefore = cpuSeconds(target.proc.child.pid);
      const m = await load(target.url, caseFor.requests, measureOpts);
      const cpuAfter = cpuSeconds(target.proc.child.pid);
      const { total, bad } = unexpected(m, c.status);
      const answered = Object.values(m.statuses).reduce((a, b) => a + b, 0);
      const cpu = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
      results[target.name][c.id] = { ...m, total, bad, cpuSeconds: cpu, perCpuSecond: cpu ? answered / cpu : null };
      log(`${c.id} on ${target.name}: ${Math.round(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms${bad ? `, ${bad} not ${c.status} (statuses ${JSON.stringify(m.statuses)}, ${m.errors} errors of which ${m.timeouts} timeouts)` : ''}`);
    }
  }

  const publishes = {};
  if (options.publishes > 0) {
    for (const s of servers) {
      log(`${options.publishes} sequential publishes on ${s.name}`);
      const before = s.name === 'Wharf' ? await wharfRouteTime(s, 'PUT', '/:name') : null;
      const times = [];
      for (const version of publishSet) times.push(await publish(s, tokens.get(s), version));
      publishes[s.name] = summarise(times);
      if (before) {
        const after = await wharfRouteTime(s, 'PUT', '/:name');
        publishes[s.name].serverMean = ((after.seconds - before.seconds) * 1000) / (after.count - before.count);
      }
    }
  }

  const header = [
    `Registry benchmark, ${new Date().toISOString()}`,
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`,
    `set: ${options.packages} packages × ${options.versions} versions; ${options.connections} connections, ${options.duration} s per case after ${options.warmup} s warm-up`,
    `Wharf metadata: ${options.databaseUrl ? 'PostgreSQL' : 'SQLite'}; nginx workers: ${options.nginxWorkers}`,
    // Other work on the machine takes CPU from both servers and autocannon alike: this says how much.
    `load average at start ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}, at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  ].join('\n');
  console.log(`\n${header}\n`);
  console.log(loadTable(cases, results));
  const tarballCases = cases.filter((c) => c.id.startsWith('tarball'));
  if (nginx && tarballCases.length > 0) console.log(`\n${nginxTable(tarballCases, results)}`);
  console.log(`\nServer CPU cost (user + system CPU time of the server process, nginx's workers included, over each measured run):\n${cpuTable(cases, results)}`);
  if (Object.keys(publishes).length > 0) {
    console.log(`\n${publishTable(publishes)}`);
    console.log('client: round trip of PUT /<name> on loopback, body prepared in advance; server (Wharf only): delta of wharf_http_request_duration_seconds sum/count for PUT /:name');
  }
  console.log(`\n${targetLines(results, publishes)}`);
  if (options.json) writeFileSync(options.json, `${JSON.stringify({ header, options: { ...options, only: [...options.only] }, results, publishes }, null, 2)}\n`);
}

try {
  await main();
  await resources.cleanup();
} catch (err) {
  await abort(err instanceof Error ? err.stack ?? err.message : String(err), 1);
}

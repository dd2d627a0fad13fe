// Replays the hostile runs of the hardening issue against a real listening server (SQLite, default
// limits unless overridden) and prints, for each, what the server answered, how long it took, the
// server's RSS and its worst event-loop delay. Run on demand: `npm run bench:abuse` (after `npm run build`).
//   BENCH_FILES      files in the many-files tarball (default 100000)
//   BENCH_BOMB_MIB   MiB the bomb unpacks to (default 400)
//   BENCH_SOCKETS    slow sockets (default 200)
//   BENCH_REQUEST_TIMEOUT_MS  the server's requestTimeoutMs for the slow-socket run (default 10000; 120000 in production)
import { mkdtemp, mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createWharf, loadConfig, packDirectory, publishDocument } from '../../packages/server/dist/index.js';

const FILES = Number(process.env.BENCH_FILES ?? 100_000);
const BOMB_MIB = Number(process.env.BENCH_BOMB_MIB ?? 400);
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 200);
const REQUEST_TIMEOUT_MS = Number(process.env.BENCH_REQUEST_TIMEOUT_MS ?? 10_000);

const dataDir = await mkdtemp(join(tmpdir(), 'wharf-bench-abuse-'));
const w = await createWharf(loadConfig({ dataDir, logLevel: 'fatal', requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: Math.min(20_000, REQUEST_TIMEOUT_MS) }, {}, null));
const base = await w.app.listen({ port: 0, host: '127.0.0.1' });
const port = Number(new URL(base).port);
const login = await fetch(`${base}/-/user/org.couchdb.user:abuser`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'abuser', password: 'a-long-password-123' }) });
const token = (await login.json()).token;

const mib = (n) => (n / 1024 / 1024).toFixed(0);
/** Runs `fn` while sampling the event loop; prints one line of figures. */
async function measure(label, fn) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  delay.enable();
  const started = performance.now();
  const outcome = await fn();
  const took = performance.now() - started;
  delay.disable();
  clearInterval(sampler);
  console.log(`${label}: ${outcome}; ${(took / 1000).toFixed(1)} s, event loop max ${(delay.max / 1e6).toFixed(0)} ms (p99 ${(delay.percentile(99) / 1e6).toFixed(0)} ms), RSS ${mib(before)} → peak ${mib(peak)} MiB (load ${loadavg()[0].toFixed(2)})`);
}

async function packOf(name, fill) {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-bench-abuse-pkg-'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
  await fill(dir);
  const tgz = await packDirectory(dir);
  await rm(dir, { recursive: true, force: true });
  return tgz;
}

async function publish(name, tgz) {
  const res = await fetch(`${base}/${name}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(publishDocument({ name, version: '1.0.0' }, tgz)) });
  const body = await res.json();
  return `${res.status} ${body.error ?? ''}`.trim();
}

console.log(`limits: maxUnpackedBytes ${mib(w.config.maxUnpackedBytes)} MiB, maxPackageFiles ${w.config.maxPackageFiles}, maxCompressionRatio ${w.config.maxCompressionRatio}, requestTimeoutMs ${w.config.requestTimeoutMs}`);

const many = await packOf('abuse-many', async (dir) => {
  await mkdir(join(dir, 'f'));
  for (let i = 0; i < FILES; i += 1000) await Promise.all(Array.from({ length: Math.min(1000, FILES - i) }, (_, j) => writeFile(join(dir, 'f', `${i + j}`), 'x')));
});
await measure(`many files (${FILES} one-byte files, ${(many.length / 1024).toFixed(0)} KiB)`, () => publish('abuse-many', many));
const targets = await fetch(`${base}/trust/targets.json`);
console.log(`  /trust/targets.json afterwards: ${((await targets.arrayBuffer()).byteLength / 1024).toFixed(1)} KiB`);

// The honest neighbour: a large plugin that is accepted, to see what a real publish holds the loop for.
const large = await packOf('abuse-large', async (dir) => {
  await mkdir(join(dir, 'lib'));
  for (let i = 0; i < 5000; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => writeFile(join(dir, 'lib', `m${i + j}.js`), `export const v${i + j} = ${JSON.stringify(randomBytes(1200).toString('base64'))};\n`)));
});
await measure(`accepted (5,000 files, ${mib(large.length)} MiB packed)`, () => publish('abuse-large', large));

const bomb = await packOf('abuse-bomb', (dir) => writeFile(join(dir, 'zeros'), '').then(() => truncate(join(dir, 'zeros'), BOMB_MIB * 1024 * 1024)));
await measure(`bomb (${(bomb.length / 1024).toFixed(0)} KiB unpacking to ${BOMB_MIB} MiB)`, () => publish('abuse-bomb', bomb));

await measure(`${SOCKETS} slow sockets (a byte every 5 s)`, async () => {
  const sockets = Array.from({ length: SOCKETS }, () => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.resume();
    s.write(`PUT /api/v1/flags HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`);
    return s;
  });
  const drip = setInterval(() => sockets.forEach((s) => s.destroyed || s.write('x')), 5000);
  const deadline = Date.now() + REQUEST_TIMEOUT_MS * 2 + 10_000;
  while (Date.now() < deadline && sockets.some((s) => !s.destroyed && !s.readableEnded)) await new Promise((r) => setTimeout(r, 250));
  clearInterval(drip);
  const open = sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
  sockets.forEach((s) => s.destroy());
  return `${SOCKETS - open} closed by the server, ${open} still open`;
});

await w.close();
await rm(dataDir, { recursive: true, force: true });

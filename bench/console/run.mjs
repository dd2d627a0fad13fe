// The console's first load, as the issue measures it: the gzipped JavaScript a browser downloads for
// /cp/, and the time until the sign-in form can be used, on localhost in Debian's Chromium. Run on
// demand after `npm run build`: `npm run bench:console`. BENCH_RUNS page loads (default 10), cold cache each.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createWharf, loadConfig } from '../../packages/server/dist/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const assets = fileURLToPath(new URL('../../apps/console/dist/assets/', import.meta.url));
let js = 0;
let raw = 0;
for (const file of (await readdir(assets)).filter((f) => f.endsWith('.js'))) {
  const bytes = await readFile(join(assets, file));
  raw += bytes.length;
  js += gzipSync(bytes, { level: 9 }).length;
}
console.log(`JavaScript: ${(raw / 1024).toFixed(0)} KiB, ${(js / 1024).toFixed(1)} KiB gzipped (target <= 250 KiB)`);

const dataDir = await mkdtemp(join(tmpdir(), 'wharf-bench-console-'));
const w = await createWharf(loadConfig({ dataDir, logLevel: 'fatal' }, {}, null));
const base = await w.app.listen({ port: 0, host: '127.0.0.1' });
const browser = await chromium.launch({ executablePath: process.env.WHARF_TEST_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const times = [];
for (let i = 0; i < RUNS; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(`${base}/cp/`);
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  times.push(Date.now() - started);
  await context.close();
}
times.sort((a, b) => a - b);
console.log(`time to a usable sign-in form (cold cache, ${RUNS} loads): median ${times[Math.floor(RUNS / 2)]} ms, max ${times.at(-1)} ms (target < 1000 ms; load ${loadavg()[0].toFixed(2)})`);
await browser.close();
await w.close();
await rm(dataDir, { recursive: true, force: true });

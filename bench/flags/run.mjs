#!/usr/bin/env node
// Flag benchmark of issue 5, on demand (`npm run bench:flags [-- --seconds 5 --concurrency 16 --flags 20 --skip-build]`):
//  1. evaluations per second of @wharf/core's evaluator (what an SDK runs locally), per CPU-second and wall-clock;
//  1b. the same through @wharf/sdk's FlagClient, the API host applications call;
//  2. OFREP bulk evaluation throughput: a Wharf server in one process, the load from a second process.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    flags: { type: 'string', default: '20' },
    'skip-build': { type: 'boolean', default: false },
  },
});
const children = new Set();
const stopAll = () => children.forEach((c) => c.kill('SIGTERM'));
setTimeout(() => {
  console.error('bench aborted: still running after 180 s');
  stopAll();
  process.exit(124);
}, 180_000).unref();

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      children.delete(child);
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`));
    });
  });
}

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
if (!opts['skip-build']) await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json']);

const { runEvaluatorBench } = await import('./evaluator.mjs');
console.log('\n1. core evaluator (in process, 2 s of CPU time each)');
for (const [name, rate] of runEvaluatorBench(2000)) {
  console.log(`${(rate.perCpuSecond / 1e6).toFixed(2).padStart(8)} M evals/CPU-s ${(rate.perSecond / 1e6).toFixed(2).padStart(7)} M evals/s wall   ${name}`);
}

const { runSdkBench } = await import('./sdk-client.mjs');
console.log('\n1b. SDK FlagClient (@wharf/sdk, same set and contexts, 2 s of CPU time each)');
for (const [name, rate] of await runSdkBench(2000)) {
  console.log(`${(rate.perCpuSecond / 1e6).toFixed(2).padStart(8)} M evals/CPU-s ${(rate.perSecond / 1e6).toFixed(2).padStart(7)} M evals/s wall   ${name}`);
}

console.log(`\n2. OFREP bulk (POST /ofrep/v1/evaluate/flags, ${opts.flags} flags, ${opts.concurrency} keep-alive connections, ${opts.seconds} s, load from a second process)`);
const server = spawn(process.execPath, [join(here, 'server.mjs'), opts.flags], { cwd: root, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const serverCpu = () =>
  new Promise((resolve) => {
    server.once('message', ({ user, system }) => resolve((user + system) / 1e6));
    server.send('cpu');
  });
children.add(server);
const { url } = JSON.parse(await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve)));
try {
  for (const mode of ['bulk', 'revalidate']) {
    const cpu0 = await serverCpu();
    const result = JSON.parse(await run(process.execPath, [join(here, 'load.mjs'), url, opts.seconds, opts.concurrency, mode]));
    const cpuPerRequest = ((await serverCpu()) - cpu0) / result.requests;
    const what = mode === 'bulk' ? 'full evaluation, new context each request' : 'If-None-Match revalidation (304 once seen)';
    console.log(`${result.perSecond.toFixed(0).padStart(8)} req/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  statuses ${JSON.stringify(result.statuses)} errors ${result.errors}; server ${(cpuPerRequest * 1000).toFixed(2)} ms CPU/req = ${(1 / cpuPerRequest).toFixed(0)} req/CPU-s   ${what}`);
  }
} finally {
  server.kill('SIGTERM');
}

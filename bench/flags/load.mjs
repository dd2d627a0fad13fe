// Closed-loop HTTP load on 127.0.0.1 with keep-alive connections, bounded in time: `concurrency`
// requests in flight, each answered request immediately replaced. Prints one JSON line of results.
import http from 'node:http';

const [url, seconds = '5', concurrency = '16', mode = 'bulk'] = process.argv.slice(2);
const target = new URL('/ofrep/v1/evaluate/flags', url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
// Revalidation cycles over fewer contexts, so that most requests carry an ETag already seen.
const contexts = Array.from({ length: mode === 'revalidate' ? 64 : 1000 }, (_, i) => JSON.stringify({ context: { targetingKey: `tenant-${i}`, plan: i % 2 ? 'pro' : 'free' } }));
const etags = new Map();

function request(i) {
  const body = contexts[i % contexts.length];
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (mode === 'revalidate' && etags.has(body)) headers['if-none-match'] = etags.get(body);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(target, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.headers.etag) etags.set(body, res.headers.etag);
        resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const deadline = Date.now() + Number(seconds) * 1000;
const latencies = [];
const statuses = {};
let errors = 0;
let next = 0;
async function worker() {
  while (Date.now() < deadline) {
    try {
      const { status, ms } = await request(next++);
      latencies.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
    } catch {
      errors++;
    }
  }
}
const start = Date.now();
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
const elapsed = (Date.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
agent.destroy();
process.stdout.write(`${JSON.stringify({ mode, requests: latencies.length, perSecond: latencies.length / elapsed, p50: pct(50), p99: pct(99), statuses, errors })}\n`);

// Time for the isomorphic verifier (@wharf/core TrustClient) to check a targets file listing
// 10,000 plugins: fetch (in memory), parse, validate, canonicalise, verify Ed25519, check hashes.
// Run with `npm run bench:trust` after `npm run build`. Target: < 200 ms.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  MemoryTrustedMetadataStore,
  TrustClient,
  canonicalBytes,
  generateKeyPair,
  publicPart,
  signBytes,
} from '../../packages/core/dist/index.js';

const COUNT = Number(process.env.BENCH_TARGETS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const expires = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const keys = { root: await generateKeyPair(), targets: await generateKeyPair(), snapshot: await generateKeyPair(), timestamp: await generateKeyPair() };
const envelope = (signed, key) => JSON.stringify({ signatures: [{ keyid: key.keyid, sig: signBytes(key, canonicalBytes(signed)) }], signed });
const meta = (version, text) => ({ version, length: Buffer.byteLength(text), hashes: { sha256: createHash('sha256').update(text).digest('hex') } });
const hex = (s, alg) => createHash(alg).update(s).digest('hex');

const root = envelope(
  {
    _type: 'root', spec_version: '1.0.31', version: 1, expires, consistent_snapshot: true,
    keys: Object.fromEntries(Object.values(keys).map((k) => [k.keyid, publicPart(k)])),
    roles: Object.fromEntries(Object.entries(keys).map(([role, k]) => [role, { keyids: [k.keyid], threshold: 1 }])),
  },
  keys.root,
);
const targets = {};
for (let i = 0; i < COUNT; i++) {
  const name = `@bench/plugin-${i}`;
  const files = { 'package.json': `sha512-${createHash('sha512').update(`p${i}`).digest('base64')}`, 'index.js': `sha512-${createHash('sha512').update(`i${i}`).digest('base64')}` };
  targets[`${name}/-/plugin-${i}-1.0.0.tgz`] = {
    length: 1000 + i,
    hashes: { sha256: hex(`t${i}`, 'sha256'), sha512: hex(`t${i}`, 'sha512') },
    custom: { wharf: { name, version: '1.0.0', integrity: `sha512-${createHash('sha512').update(`t${i}`).digest('base64')}`, files, countersignature: { keyid: keys.targets.keyid, sig: 'ab'.repeat(64) } } },
  };
}
const targetsText = envelope({ _type: 'targets', spec_version: '1.0.31', version: 1, expires, targets }, keys.targets);
const snapshotText = envelope({ _type: 'snapshot', spec_version: '1.0.31', version: 1, expires, meta: { 'targets.json': meta(1, targetsText) } }, keys.snapshot);
const timestampText = envelope({ _type: 'timestamp', spec_version: '1.0.31', version: 1, expires, meta: { 'snapshot.json': meta(1, snapshotText) } }, keys.timestamp);
const files = { '1.targets.json': targetsText, '1.snapshot.json': snapshotText, 'timestamp.json': timestampText };
const fetch = async (url) => {
  const name = url.slice(url.lastIndexOf('/') + 1);
  return files[name] ? new Response(files[name]) : new Response('not found', { status: 404 });
};

const times = [];
const cpu = [];
for (let run = 0; run < RUNS; run++) {
  const store = new MemoryTrustedMetadataStore();
  await TrustClient.initialise(store, root);
  const client = new TrustClient({ metadataUrl: 'http://bench/trust/', targetsUrl: 'http://bench/', fetch, store });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await client.refresh();
  times.push(performance.now() - t0);
  const c1 = process.cpuUsage(c0);
  cpu.push((c1.user + c1.system) / 1000);
  if (!client.target(`@bench/plugin-${COUNT - 1}/-/plugin-${COUNT - 1}-1.0.0.tgz`)) throw new Error('target missing');
}
times.sort((a, b) => a - b);
cpu.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const cpuMedian = cpu[Math.floor(cpu.length / 2)];
console.log(`trust bench: ${COUNT} targets, targets.json ${(Buffer.byteLength(targetsText) / 1e6).toFixed(1)} MB`);
console.log(`refresh (timestamp + snapshot + targets: parse, validate, canonicalise, verify): median ${median.toFixed(1)} ms, min ${times[0].toFixed(1)} ms, max ${times.at(-1).toFixed(1)} ms over ${RUNS} runs (first run includes warm-up)`);
// On a shared machine wall time includes waiting for a core; CPU time is what the check costs.
console.log(`CPU time per refresh: median ${cpuMedian.toFixed(1)} ms, min ${cpu[0].toFixed(1)} ms`);
console.log(median < 200 ? 'within the 200 ms target' : 'ABOVE the 200 ms target');

import { createHash } from 'node:crypto';
import { REGISTRY_URL } from './packages.mjs';

export const ABBREVIATED = 'application/vnd.npm.install-v1+json';

/** `npm adduser` (legacy couch flow): creates the account and returns its bearer token. */
export async function createUser(server, name, password) {
  const res = await fetch(`${server.url}/-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password, email: `${name}@example.test`, type: 'user', roles: [], date: new Date().toISOString() }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || typeof body.token !== 'string') throw new Error(`${server.name}: creating user ${name} failed: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

/** One `npm publish`: PUT /<name> with the prepared body. Returns the client-side round trip in ms. */
export async function publish(server, token, version) {
  const started = performance.now();
  const res = await fetch(`${server.url}/${version.name.replace('/', '%2f')}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'npm-command': 'publish' },
    body: version.body.replaceAll(REGISTRY_URL, server.url),
  });
  const text = await res.text();
  const elapsed = performance.now() - started;
  if (!res.ok) throw new Error(`${server.name}: publishing ${version.name}@${version.version} failed: ${res.status} ${text.slice(0, 300)}`);
  return elapsed;
}

/** Publishes every version of every package; packages in parallel (`concurrency`), versions of one package in order. */
export async function seed(server, token, set, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < set.length) {
      const pkg = set[next++];
      for (const version of pkg.versions) await publish(server, token, version);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, set.length) }, worker));
}

/**
 * What the load cases need from one package, read the way npm reads it; also checks the server
 * serves back what was published (tarball integrity), so a fast wrong answer cannot pass.
 */
export async function probe(server, pkg) {
  const path = `/${pkg.name.replace('/', '%2f')}`;
  const full = await fetch(server.url + path, { headers: { accept: 'application/json' } });
  const fullText = await full.text();
  if (!full.ok) throw new Error(`${server.name}: GET ${path} → ${full.status}`);
  const fullDoc = JSON.parse(fullText);
  const abbreviated = await fetch(server.url + path, { headers: { accept: ABBREVIATED } });
  const abbreviatedBytes = (await abbreviated.arrayBuffer()).byteLength;
  const etag = abbreviated.headers.get('etag');
  const latest = pkg.versions.at(-1);
  const dist = fullDoc.versions?.[latest.version]?.dist;
  if (!dist?.tarball) throw new Error(`${server.name}: ${pkg.name}@${latest.version} has no dist.tarball`);
  const tarballPath = new URL(dist.tarball).pathname;
  const tarball = Buffer.from(await (await fetch(server.url + tarballPath)).arrayBuffer());
  if (!tarball.equals(latest.tarball)) throw new Error(`${server.name}: ${tarballPath} is not the tarball that was published`);
  const expected = `sha512-${createHash('sha512').update(latest.tarball).digest('base64')}`;
  if (dist.integrity !== expected) throw new Error(`${server.name}: ${pkg.name}@${latest.version} integrity ${dist.integrity} ≠ ${expected}`);
  const tarballPaths = pkg.versions.map((v) => new URL(fullDoc.versions[v.version].dist.tarball).pathname);
  return { path, etag, tarballPath, tarballPaths, fullBytes: Buffer.byteLength(fullText), abbreviatedBytes };
}

/** Wharf's histogram for one route: total seconds and count, from the Prometheus text. */
export async function wharfRouteTime(server, method, route) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (metric) => {
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${metric}{`)) continue;
      if (line.includes(`method="${method}"`) && line.includes(`route="${route}"`)) return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return 0;
  };
  return { seconds: read('wharf_http_request_duration_seconds_sum'), count: read('wharf_http_request_duration_seconds_count') };
}

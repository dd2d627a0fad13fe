import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inRollout, rolloutBucket, SOURCE_CANARY_SALT, type MarketplaceSourceInput } from '@wharf/core';
import { CatalogManager, MemoryStore, SourceResolver, type SourceResolverOptions } from '@wharf/sdk';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, type TestWharf } from '../../server/test/helpers.js';
import { listen, publish } from '../../server/test/trust-helpers.js';

const CP = 'http://127.0.0.1:1';
const GIT = 'http://127.0.0.1:2/git/';
const CDN = 'http://127.0.0.1:3/cdn';
const DEFAULT: MarketplaceSourceInput = { type: 'git', priority: ['git'], sources: { git: GIT } };
const CDN_CONFIG: MarketplaceSourceInput = { type: 'cdn', priority: ['cdn', 'git'], sources: { git: GIT, cdn: CDN }, ttlSeconds: 60 };

type Handler = (url: URL, init: RequestInit) => Response | Promise<Response>;

/**
 * An in-process network: a control plane and two mirrors answering from handlers the test swaps,
 * with a virtual clock. Nothing leaves the process.
 */
function world() {
  const w = {
    t: 1_000_000,
    config: { version: 1, marketplaceSource: CDN_CONFIG } as object | null,
    controlPlaneDown: false,
    statsStatus: 202,
    reports: [] as unknown[],
    git: ((url) => new Response(`git:${url.pathname}`)) as Handler,
    cdn: ((url) => new Response(`cdn:${url.pathname}`)) as Handler,
    log: [] as string[],
    fetch: async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
      const url = new URL(String(input));
      w.log.push(`${init.method ?? 'GET'} ${url.port}${url.pathname}`);
      if (url.port === '1') {
        if (w.controlPlaneDown) throw new TypeError('fetch failed: connection refused');
        if (url.pathname === '/api/v1/sources/stats') {
          if (w.statsStatus === 202) w.reports.push(JSON.parse(String(init.body)));
          return new Response(null, { status: w.statsStatus });
        }
        if (w.config === null) return Response.json({ error: 'none' }, { status: 404 });
        const etag = `"${(w.config as { version: number }).version}"`;
        if (new Headers(init.headers).get('if-none-match') === etag) return new Response(null, { status: 304 });
        return Response.json(w.config, { headers: { etag } });
      }
      return (url.port === '2' ? w.git : w.cdn)(url, init);
    },
    resolver: (opts: Partial<SourceResolverOptions> = {}) => new SourceResolver({ controlPlaneUrl: CP, defaultConfig: DEFAULT, installId: 'install-1', fetch: w.fetch, now: () => w.t, ...opts }),
  };
  return w;
}

const body = async (p: Promise<Response>) => (await p).text();

describe('SourceResolver', () => {
  it('reads the control plane config, revalidates it with its ETag after the TTL, and resolves URLs on it', async () => {
    const w = world();
    const r = w.resolver();
    expect(await r.resolveUrl('/catalog.json')).toBe('http://127.0.0.1:3/cdn/catalog.json');
    expect(await body(r.fetch('@acme/x/-/x-1.0.0.tgz'))).toBe('cdn:/cdn/@acme/x/-/x-1.0.0.tgz');
    w.t += 59_000;
    await r.fetch('catalog.json');
    expect(w.log.filter((l) => l.startsWith('GET 1/'))).toHaveLength(1);
    w.t += 2_000;
    await r.fetch('catalog.json');
    expect(w.log.filter((l) => l.startsWith('GET 1/'))).toHaveLength(2);
    expect(r.config?.version).toBe(1);

    w.config = { version: 2, marketplaceSource: { ...CDN_CONFIG, type: 'git', priority: ['git', 'cdn'] } };
    const changes: number[] = [];
    r.on('config-changed', (e) => changes.push(e.version));
    expect((await r.reloadConfig()).version).toBe(2);
    expect(changes).toEqual([2]);
    expect(await r.resolveUrl('catalog.json')).toBe(`${GIT}catalog.json`);
  });

  it('falls back to the built-in default, then to the last known good config kept in the store', async () => {
    const w = world();
    w.controlPlaneDown = true;
    const errors: Error[] = [];
    const cold = w.resolver();
    cold.on('error', (e) => errors.push(e));
    expect(await body(cold.fetch('catalog.json'))).toBe('git:/git/catalog.json');
    expect(cold.config?.version).toBe(0);
    expect(errors[0]?.message).toMatch(/connection refused/);

    const store = new MemoryStore();
    w.controlPlaneDown = false;
    const first = w.resolver({ store });
    await first.reloadConfig();
    expect(first.config?.version).toBe(1);

    // A restart while the control plane is down: the stored config, not the built-in one.
    w.controlPlaneDown = true;
    const restarted = w.resolver({ store });
    expect(await body(restarted.fetch('catalog.json'))).toBe('cdn:/cdn/catalog.json');
    expect(restarted.config?.version).toBe(1);

    // No config on the server at all: the built-in default.
    w.controlPlaneDown = false;
    w.config = null;
    const unconfigured = w.resolver();
    expect(await unconfigured.resolveUrl('catalog.json')).toBe(`${GIT}catalog.json`);
  });

  it('never goes back to an older config or to the built-in default once it has one (a stale cache, a lost replica)', async () => {
    const w = world();
    const r = w.resolver();
    const errors: Error[] = [];
    r.on('error', (e) => errors.push(e));
    w.config = { version: 3, marketplaceSource: CDN_CONFIG };
    expect((await r.reloadConfig()).version).toBe(3);
    w.config = { version: 2, marketplaceSource: DEFAULT };
    expect((await r.reloadConfig()).version).toBe(3);
    expect(await r.resolveUrl('catalog.json')).toBe(`${CDN}/catalog.json`);
    w.config = null;
    expect((await r.reloadConfig()).version).toBe(3);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/v2 is older than v3/), expect.stringMatching(/404; keeping config v3/)]);
    w.config = { version: 4, marketplaceSource: DEFAULT };
    expect((await r.reloadConfig()).version).toBe(4);
    expect(await r.resolveUrl('catalog.json')).toBe(`${GIT}catalog.json`);
  });

  it('falls back in priority order on network errors, timeouts, 5xx and 429, and not without fallbackOnError', async () => {
    const w = world();
    const r = w.resolver({ timeoutMs: 50, failureThreshold: 100, rateLimitThreshold: 100 });
    const failures: Handler[] = [
      () => Promise.reject(new TypeError('fetch failed: ECONNRESET')),
      (_url, init) => new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason))),
      () => new Response('down', { status: 503 }),
      () => new Response('slow down', { status: 429, headers: { 'retry-after': '30' } }),
    ];
    for (const failure of failures) {
      w.cdn = failure;
      expect(await body(r.fetch('catalog.json'))).toBe('git:/git/catalog.json');
    }
    w.cdn = () => new Response('missing', { status: 404 });
    expect((await r.fetch('nope.json')).status).toBe(404);
    expect(r.getStats()).toMatchObject({ totalRequests: 5, fallbacks: 4, errors: 4, failed: 0, perSource: { cdn: { requests: 5, errors: 4, rateLimited: 1 }, git: { requests: 4, errors: 0, rateLimited: 0 } } });

    w.config = { version: 2, marketplaceSource: { ...CDN_CONFIG, fallbackOnError: false } };
    await r.reloadConfig();
    w.cdn = () => new Response('down', { status: 503 });
    const res = await r.fetch('catalog.json');
    expect(res.status).toBe(503);
    expect(r.getStats().failed).toBe(1);
    w.cdn = () => Promise.reject(new TypeError('fetch failed'));
    await expect(r.fetch('catalog.json')).rejects.toThrow(/fetch failed/);
  });

  it('averages the duration of calls on its clock, with the attempts of a fallback and of a failed call counted', async () => {
    const w = world();
    const r = w.resolver({ failureThreshold: 100 });
    const taking = (ms: number, status = 200, prefix = 'cdn'): Handler => (url) => ((w.t += ms), new Response(`${prefix}:${url.pathname}`, { status }));
    expect(r.getStats().avgLatencyMs).toBe(0);
    w.cdn = taking(10);
    await r.fetch('a');
    w.cdn = taking(30);
    await r.fetch('b');
    expect(r.getStats().avgLatencyMs).toBe(20);
    w.cdn = taking(40, 503);
    w.git = taking(20, 200, 'git');
    expect(await body(r.fetch('c'))).toBe('git:/git/c');
    w.git = taking(20, 503, 'git');
    expect((await r.fetch('d')).status).toBe(503);
    // (10 + 30 + (40 + 20) + (40 + 20)) / 4
    expect(r.getStats()).toMatchObject({ totalRequests: 4, fallbacks: 1, failed: 1, avgLatencyMs: 40 });
  });

  it('opens the circuit after repeated failures, and closes it after a good trial', async () => {
    const w = world();
    const r = w.resolver({ failureThreshold: 3, openMs: 30_000 });
    let cdnCalls = 0;
    w.cdn = () => (cdnCalls++, new Response('down', { status: 502 }));
    for (let i = 0; i < 3; i++) await r.fetch('catalog.json');
    expect(cdnCalls).toBe(3);
    for (let i = 0; i < 5; i++) expect(await body(r.fetch('catalog.json'))).toBe('git:/git/catalog.json');
    expect(cdnCalls).toBe(3);
    w.t += 30_000;
    w.cdn = (url) => (cdnCalls++, new Response(`cdn:${url.pathname}`));
    expect(await body(r.fetch('catalog.json'))).toBe('cdn:/cdn/catalog.json');
    expect(cdnCalls).toBe(4);
  });

  it('health checks feed the circuit breaker when the config enables them', async () => {
    const w = world();
    const r = w.resolver({ failureThreshold: 2 });
    w.cdn = (_url, init) => new Response(null, { status: init.method === 'HEAD' ? 503 : 200 });
    expect(await r.checkHealth()).toEqual({ git: true, cdn: false });
    w.cdn = (_url, init) => new Response(null, { status: init.method === 'HEAD' ? 404 : 200 });
    await r.checkHealth();
    expect(await r.resolveUrl('catalog.json')).toBe(`${GIT}catalog.json`);
    expect(w.log.filter((l) => l.startsWith('HEAD'))).toEqual(['HEAD 2/git/catalog.json', 'HEAD 3/cdn/catalog.json', 'HEAD 2/git/catalog.json', 'HEAD 3/cdn/catalog.json']);
    w.config = { version: 2, marketplaceSource: { ...CDN_CONFIG, healthCheckEnabled: false } };
    await r.reloadConfig();
    expect(await r.checkHealth()).toEqual({});
  });

  it('benches a source after sustained 429s until its Retry-After, and moves traffic to the next', async () => {
    const w = world();
    const r = w.resolver({ rateLimitThreshold: 2 });
    let cdnCalls = 0;
    w.cdn = () => (cdnCalls++, new Response('slow down', { status: 429, headers: { 'retry-after': '120' } }));
    const benched: { source: string; until: number }[] = [];
    r.on('source-benched', (e) => benched.push(e));
    await r.fetch('a');
    expect(benched).toEqual([]);
    await r.fetch('b');
    expect(benched).toEqual([{ source: 'cdn', until: w.t + 120_000 }]);
    for (let i = 0; i < 10; i++) await r.fetch('c');
    expect(cdnCalls).toBe(2);
    w.t += 119_000;
    await r.fetch('d');
    expect(cdnCalls).toBe(2);
    w.t += 1_000;
    w.cdn = (url) => (cdnCalls++, new Response(`cdn:${url.pathname}`));
    expect(await body(r.fetch('e'))).toBe('cdn:/cdn/e');
    expect(r.getStats().perSource.cdn).toEqual({ requests: 3, errors: 2, rateLimited: 2 });
  });

  it('when every source fails, asks the control plane at once and retries on the new config', async () => {
    const w = world();
    w.config = { version: 1, marketplaceSource: { ...DEFAULT, ttlSeconds: 300 } };
    const r = w.resolver();
    w.git = () => new Response('slow down', { status: 429, headers: { 'retry-after': '60' } });
    expect((await r.fetch('catalog.json')).status).toBe(429);
    w.config = { version: 2, marketplaceSource: CDN_CONFIG };
    w.t += 10_000;
    expect(await body(r.fetch('catalog.json'))).toBe('cdn:/cdn/catalog.json');
    expect(r.getStats()).toMatchObject({ totalRequests: 2, failed: 1 });
  });

  it('reports counts since the last report, keeping those of a failed post for the next one', async () => {
    const w = world();
    const r = w.resolver({ rateLimitThreshold: 100 });
    w.cdn = () => new Response('slow down', { status: 429 });
    await r.fetch('a');
    w.statsStatus = 503;
    await expect(r.reportStats()).rejects.toThrow(/503/);
    w.cdn = (url) => new Response(`cdn:${url.pathname}`);
    await r.fetch('b');
    w.statsStatus = 202;
    await r.reportStats();
    await r.reportStats();
    expect(w.reports).toEqual([
      {
        sources: [
          { source: 'cdn', requests: 2, errors: 1, rateLimited: 1, fallbacks: 0 },
          { source: 'git', requests: 1, errors: 0, rateLimited: 0, fallbacks: 1 },
        ],
      },
    ]);
    expect(r.getStats().perSource).toEqual({ cdn: { requests: 2, errors: 1, rateLimited: 1 }, git: { requests: 1, errors: 0, rateLimited: 0 } });
  });

  it('puts a deterministic canary share of installs on the canary source first', async () => {
    const w = world();
    w.config = { version: 1, marketplaceSource: { ...CDN_CONFIG, type: 'hybrid', priority: ['git', 'cdn'], canaryPercent: 10, canarySource: 'cdn' } };
    const ids = Array.from({ length: 2000 }, (_, i) => `install-${i}`);
    const onCanary: string[] = [];
    for (const installId of ids) {
      if ((await w.resolver({ installId }).resolveUrl('x')).startsWith('http://127.0.0.1:3/')) onCanary.push(installId);
    }
    expect(onCanary).toEqual(ids.filter((id) => inRollout(rolloutBucket(SOURCE_CANARY_SALT, id), 10)));
    expect(onCanary.length / ids.length).toBeGreaterThan(0.08);
    expect(onCanary.length / ids.length).toBeLessThan(0.12);
    // Raising the share only adds installs.
    w.config = { version: 2, marketplaceSource: { ...(w.config as { marketplaceSource: object }).marketplaceSource, canaryPercent: 20 } };
    for (const installId of onCanary.slice(0, 20)) expect(await w.resolver({ installId }).resolveUrl('x')).toMatch(/^http:\/\/127\.0\.0\.1:3\//);
  });
});

describe('SourceResolver against a real control plane, and CatalogManager through it', () => {
  let w: TestWharf;
  let origin: string;
  let root: string;
  let mirrors: Server;
  let mirrorBase: string;
  const hits = { git: 0, cdn: 0 };
  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    origin = await listen(w);
    root = (await w.app.inject({ url: '/trust/root.json' })).body;
    expect((await publish(w, await addUser(w, 'author'), '@acme/notes', '1.0.0')).statusCode).toBe(201);
    // Two mirrors of the origin on loopback: `git` rate-limits everything, `cdn` relays the origin.
    mirrors = createServer(async (req, res) => {
      const [, name, ...rest] = req.url!.split('/');
      if (name === 'git') {
        hits.git++;
        return res.writeHead(429, { 'retry-after': '60' }).end();
      }
      hits.cdn++;
      const upstream = await fetch(`${origin}/${rest.join('/')}`);
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' }).end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((r) => mirrors.listen(0, '127.0.0.1', r));
    mirrorBase = `http://127.0.0.1:${(mirrors.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => mirrors.close(() => r()));
    await w.destroy();
  });

  it('switches from a rate-limited git mirror to the cdn set through the admin API, loads a verified catalog, and reports counts', async () => {
    const sources = { git: `${mirrorBase}/git/`, cdn: `${mirrorBase}/cdn/` };
    const put = (config: MarketplaceSourceInput) => w.app.inject({ method: 'PUT', url: '/api/v1/config/marketplace_source', headers: bearer(ADMIN_TOKEN), payload: config });
    expect((await put({ type: 'git', priority: ['git'], sources: { git: sources.git } })).statusCode).toBe(200);

    let t = Date.now();
    const resolver = new SourceResolver({ controlPlaneUrl: origin, defaultConfig: { type: 'git', priority: ['git'], sources: { git: sources.git } }, installId: 'i-1', now: () => t });
    const gitOnly = new CatalogManager({ source: resolver, root });
    expect(await gitOnly.initialize()).toBeNull();
    expect(gitOnly.status).toBe('error');

    expect((await put({ type: 'cdn', priority: ['cdn', 'git'], sources })).statusCode).toBe(200);
    // The config's TTL (300 s by default) passes.
    t += 300_000;
    const catalogs = new CatalogManager({ source: resolver, root });
    const catalog = await catalogs.initialize();
    expect(catalogs.status).toBe('ready');
    expect(catalog?.plugins.map((p) => p.name)).toEqual(['@acme/notes']);
    expect(resolver.config?.version).toBe(2);
    expect(hits.cdn).toBeGreaterThan(0);

    await resolver.reportStats();
    const health = (await w.app.inject({ url: '/api/v1/sources/health', headers: bearer(ADMIN_TOKEN) })).json();
    const stats = resolver.getStats();
    expect(health.stats).toEqual(
      expect.arrayContaining([expect.objectContaining({ source: 'cdn', requests: stats.perSource.cdn!.requests }), expect.objectContaining({ source: 'git', rateLimited: stats.perSource.git!.rateLimited })]),
    );
    expect(stats.perSource.git!.rateLimited).toBeGreaterThan(0);
    // Reported counts are not sent twice.
    await resolver.reportStats();
    const again = (await w.app.inject({ url: '/api/v1/sources/health', headers: bearer(ADMIN_TOKEN) })).json();
    expect(again.stats).toEqual(health.stats);
  });

  it('reloads at once when the control plane announces config.changed, well before the TTL', async () => {
    const resolver = new SourceResolver({ controlPlaneUrl: origin, defaultConfig: { type: 'git', priority: ['git'], sources: { git: `${mirrorBase}/git/` } }, installId: 'i-2' });
    const before = (await resolver.reloadConfig()).version;
    const subscribers = () => (w.events as unknown as { listeners: Set<unknown> }).listeners.size;
    const idle = subscribers();
    resolver.subscribe();
    try {
      // The stream is open once the server has one more subscriber; then the switch.
      await expect.poll(subscribers).toBeGreaterThan(idle);
      const put = await w.app.inject({ method: 'PUT', url: '/api/v1/config/marketplace_source', headers: bearer(ADMIN_TOKEN), payload: { type: 'git', priority: ['git', 'cdn'], sources: { git: `${mirrorBase}/git/`, cdn: `${mirrorBase}/cdn/` } } });
      await expect.poll(() => resolver.config?.version).toBe(put.json().version);
      expect(put.json().version).toBeGreaterThan(before);
    } finally {
      resolver.stop();
    }
  });

  it('reloads when its event stream opens: a switch made before that is not missed', async () => {
    const resolver = new SourceResolver({ controlPlaneUrl: origin, defaultConfig: { type: 'git', priority: ['git'], sources: { git: `${mirrorBase}/git/` } }, installId: 'i-3' });
    const before = (await resolver.reloadConfig()).version;
    const put = await w.app.inject({ method: 'PUT', url: '/api/v1/config/marketplace_source', headers: bearer(ADMIN_TOKEN), payload: { type: 'cdn', priority: ['cdn'], sources: { cdn: `${mirrorBase}/cdn/` } } });
    expect(put.json().version).toBeGreaterThan(before);
    resolver.subscribe();
    try {
      await expect.poll(() => resolver.config?.version).toBe(put.json().version);
    } finally {
      resolver.stop();
    }
  });

  it('gives a CatalogManager reading through it the control plane\'s event stream: a publish reaches it with no eventsUrl option', async () => {
    const resolver = new SourceResolver({ controlPlaneUrl: origin, defaultConfig: { type: 'cdn', priority: ['cdn'], sources: { cdn: `${mirrorBase}/cdn/` } }, installId: 'i-4' });
    expect(resolver.eventsUrl).toBe(`${origin}/events`);
    const catalogs = new CatalogManager({ source: resolver, root });
    await catalogs.initialize();
    const added: string[] = [];
    catalogs.on('catalog-updated', (e) => added.push(...e.diff.added));
    catalogs.subscribe();
    try {
      expect((await publish(w, await addUser(w, 'live-author'), '@live/streamed', '1.0.0')).statusCode).toBe(201);
      await expect.poll(() => added, { timeout: 5000 }).toContain('@live/streamed');
    } finally {
      catalogs.stop();
      resolver.stop();
    }
  });
});

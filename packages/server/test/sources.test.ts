import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientConfigSchema, MarketplaceSourceSchema, MarketplaceSourceVersionSchema, SourceHealthSchema, type MarketplaceSourceInput } from '@wharf/core';
import { SourceProber } from '../src/sources/index.js';
import { guardedFetch } from '../src/net/guarded-fetch.js';
import type { WharfEvent } from '../src/events/event-bus.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';

const GIT: MarketplaceSourceInput = { type: 'git', priority: ['git'], sources: { git: 'http://127.0.0.1:9001/acme/plugins/main/' } };
const CDN: MarketplaceSourceInput = { type: 'cdn', priority: ['cdn', 'git'], sources: { git: 'http://127.0.0.1:9001/acme/plugins/main/', cdn: 'http://127.0.0.1:9002/' }, ttlSeconds: 60 };

describe('marketplace_source schema', () => {
  const issue = (input: unknown) => {
    const r = MarketplaceSourceSchema.safeParse(input);
    return r.success ? null : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
  };
  it('fills defaults and accepts git, cdn and hybrid with a canary', () => {
    expect(MarketplaceSourceSchema.parse(GIT)).toEqual({ ...GIT, canaryPercent: 0, healthCheckEnabled: true, fallbackOnError: true, ttlSeconds: 300 });
    expect(issue(CDN)).toBeNull();
    expect(issue({ ...CDN, type: 'hybrid', sources: { ...CDN.sources, edge: 'http://127.0.0.1:9/' }, canaryPercent: 10, canarySource: 'edge' })).toBeNull();
  });
  it('refuses inconsistent or unsafe configurations', () => {
    expect(issue({ ...GIT, priority: ['git', 'cdn'] })).toMatch(/^priority\.1: source cdn is not defined/);
    expect(issue({ ...CDN, priority: ['git', 'cdn'] })).toMatch(/^priority\.0: type cdn must come first/);
    expect(issue({ ...GIT, type: 'cdn' })).toMatch(/^sources\.cdn: type cdn needs a source named cdn/);
    expect(issue({ ...CDN, type: 'hybrid', priority: ['cdn'] })).toMatch(/hybrid needs at least two/);
    expect(issue({ ...CDN, priority: ['cdn', 'cdn'] })).toMatch(/listed twice/);
    expect(issue({ ...GIT, sources: { git: 'ftp://127.0.0.1/' } })).toMatch(/^sources\.git: must be an http\(s\) URL/);
    expect(issue({ ...GIT, sources: { git: 'javascript:alert(1)' } })).toMatch(/http\(s\)/);
    expect(issue({ ...GIT, sources: { git: 'http://user:pw@127.0.0.1:9001/' } })).toMatch(/without credentials/);
    expect(issue({ ...GIT, canaryPercent: 5 })).toMatch(/^canarySource: canaryPercent above 0 needs/);
    expect(issue({ ...GIT, canaryPercent: 101, canarySource: 'git' })).toMatch(/^canaryPercent/);
    expect(issue({ ...GIT, canarySource: 'nope' })).toMatch(/^canarySource: source nope is not defined/);
    expect(issue({ ...GIT, ttlSeconds: 1 })).toMatch(/^ttlSeconds/);
    expect(issue({ ...GIT, extra: true })).toMatch(/Unrecognized key/);
  });
});

describeEachBackend('marketplace sources API', (backend) => {
  let w: TestWharf;
  let rm: Record<string, string>;
  let plain: Record<string, string>;
  const seen: WharfEvent[] = [];
  beforeAll(async () => {
    w = await createTestWharf(backend);
    plain = bearer(await addUser(w, 'pat'));
    rm = bearer(await addUser(w, 'remy'));
    await w.app.inject({ method: 'PUT', url: '/api/v1/users/remy/role', headers: bearer(ADMIN_TOKEN), payload: { role: 'release-manager' } });
    w.events.subscribe((e) => seen.push(e));
  });
  afterAll(() => w.destroy());

  const put = (body: unknown, headers = rm) => w.app.inject({ method: 'PUT', url: '/api/v1/config/marketplace_source', headers, payload: body as object });

  it('serves no client config before the first set, and refuses anonymous or plain users', async () => {
    const cc = await w.app.inject({ url: '/api/v1/client-config' });
    expect(cc.statusCode).toBe(404);
    expect(cc.json().error).toMatch(/no marketplace source/);
    expect((await put(GIT, {})).statusCode).toBe(401);
    expect((await put(GIT, plain)).statusCode).toBe(403);
    expect((await w.app.inject({ url: '/api/v1/config/marketplace_source/history', headers: plain })).statusCode).toBe(403);
    expect((await w.app.inject({ url: '/api/v1/sources/health' })).statusCode).toBe(401);
  });

  it('validates with a 400 naming the field', async () => {
    const res = await put({ ...GIT, sources: { git: 'file:///etc/passwd' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: expect.stringMatching(/^invalid marketplace_source at sources\.git: must be an http\(s\) URL/) });
    expect((await put({ ...CDN, priority: ['cdn', 'mirror'] })).json().error).toMatch(/priority\.1: source mirror is not defined/);
  });

  it('keeps versions, audits, announces config.changed and serves the client config with ETag and 304', async () => {
    const first = await put(GIT);
    expect(first.statusCode, first.body).toBe(200);
    expect(MarketplaceSourceVersionSchema.parse(first.json())).toMatchObject({ version: 1, updatedBy: 'remy', config: { type: 'git', ttlSeconds: 300 } });

    const cc1 = await w.app.inject({ url: '/api/v1/client-config' });
    expect(cc1.statusCode).toBe(200);
    expect(cc1.headers['cache-control']).toBe('public, max-age=60, must-revalidate');
    expect(ClientConfigSchema.parse(cc1.json())).toMatchObject({ version: 1, marketplaceSource: { type: 'git' } });
    const etag1 = cc1.headers.etag as string;
    expect((await w.app.inject({ url: '/api/v1/client-config', headers: { 'if-none-match': etag1 } })).statusCode).toBe(304);

    const second = await put(CDN, bearer(ADMIN_TOKEN));
    expect(second.json()).toMatchObject({ version: 2, updatedBy: 'admin', config: { type: 'cdn', priority: ['cdn', 'git'] } });
    const cc2 = await w.app.inject({ url: '/api/v1/client-config', headers: { 'if-none-match': etag1 } });
    expect(cc2.statusCode).toBe(200);
    expect(cc2.headers.etag).not.toBe(etag1);
    expect(cc2.json()).toMatchObject({ version: 2, marketplaceSource: { type: 'cdn' } });

    // The same content again changes nothing: no version, no audit row, no event.
    expect((await put(CDN)).json()).toMatchObject({ version: 2, updatedBy: 'admin' });

    const current = await w.app.inject({ url: '/api/v1/config/marketplace_source', headers: rm });
    expect(current.json()).toMatchObject({ version: 2, config: { type: 'cdn' } });
    const history = (await w.app.inject({ url: '/api/v1/config/marketplace_source/history', headers: rm })).json();
    expect(history.current).toBe(2);
    expect(history.versions.map((v: { version: number; updatedBy: string }) => [v.version, v.updatedBy])).toEqual([
      [2, 'admin'],
      [1, 'remy'],
    ]);

    const audit = await w.audit.list({ target: 'config:marketplace_source', limit: 10 });
    expect(audit.map((r) => [r.actor, r.action])).toEqual([
      ['remy', 'config.set'],
      ['admin', 'config.set'],
    ]);
    expect(JSON.parse(audit[1]!.before)).toMatchObject({ version: 1, config: { type: 'git' } });
    expect(JSON.parse(audit[1]!.after)).toMatchObject({ version: 2, config: { type: 'cdn' } });
    expect((await w.audit.verify()).ok).toBe(true);

    await expect.poll(() => seen.filter((e) => e.type === 'config.changed').map((e) => e.data)).toEqual([
      { key: 'marketplace_source', version: 1 },
      { key: 'marketplace_source', version: 2 },
    ]);
  });

  it('adds opt-in counts for configured sources only and rate-limits posts', async () => {
    const post = (sources: object[]) => w.app.inject({ method: 'POST', url: '/api/v1/sources/stats', payload: { sources } });
    const ok = await post([
      { source: 'cdn', requests: 10, errors: 1, rateLimited: 0, fallbacks: 0 },
      { source: 'git', requests: 4, errors: 3, rateLimited: 3, fallbacks: 2 },
      { source: 'unknown', requests: 99, errors: 0, rateLimited: 0, fallbacks: 0 },
    ]);
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ accepted: 2 });
    await post([{ source: 'cdn', requests: 5, errors: 0, rateLimited: 0, fallbacks: 1 }]);
    expect((await post([{ source: 'cdn', requests: -1, errors: 0, rateLimited: 0, fallbacks: 0 }])).statusCode).toBe(400);
    expect((await post([{ source: 'cdn', requests: 1, errors: 0, rateLimited: 0, fallbacks: 0, installId: 'x' }])).statusCode).toBe(400);

    const health = SourceHealthSchema.parse((await w.app.inject({ url: '/api/v1/sources/health', headers: rm })).json());
    expect(health.stats.map(({ day: _day, ...s }) => s)).toEqual([
      { source: 'cdn', requests: 15, errors: 1, rateLimited: 0, fallbacks: 1 },
      { source: 'git', requests: 4, errors: 3, rateLimited: 3, fallbacks: 2 },
    ]);

    // Earlier days are kept: ?days=N gives the last N, oldest first (the console charts them).
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await w.store.db.transaction().execute((trx) => w.sources.repo.addStats(trx, yesterday, [{ source: 'cdn', requests: 7, errors: 2, rateLimited: 0, fallbacks: 0 }]));
    const week = SourceHealthSchema.parse((await w.app.inject({ url: '/api/v1/sources/health?days=7', headers: rm })).json());
    expect(week.stats.map((s) => [s.day, s.source, s.requests])).toEqual([
      [yesterday, 'cdn', 7],
      [new Date().toISOString().slice(0, 10), 'cdn', 15],
      [new Date().toISOString().slice(0, 10), 'git', 4],
    ]);
    expect(SourceHealthSchema.parse((await w.app.inject({ url: '/api/v1/sources/health', headers: rm })).json()).stats).toHaveLength(2);
    expect((await w.app.inject({ url: '/api/v1/sources/health?days=91', headers: rm })).statusCode).toBe(400);

    let limited = null;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await post([{ source: 'cdn', requests: 1, errors: 0, rateLimited: 0, fallbacks: 0 }]);
      if (res.statusCode === 429) limited = res;
    }
    expect(limited?.json().error).toMatch(/too many stats reports/);
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
  });

  describe('server-side prober', () => {
    let mirror: Server;
    let base: string;
    let calls: string[] = [];
    beforeAll(async () => {
      mirror = createServer((req, res) => {
        calls.push(req.url!);
        if (req.url === '/good/catalog.json') return res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        res.writeHead(503).end();
      });
      await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => mirror.close(() => r())));

    it("probes each configured source's catalog.json and counts consecutive failures", async () => {
      const set = (await put({ type: 'hybrid', priority: ['good', 'bad'], sources: { good: `${base}/good`, bad: `${base}/bad/` } })).json();
      let t = Date.parse('2026-01-01T00:00:00Z');
      // The test mirror listens on loopback: allowed here as an operator would allow an internal mirror.
      const prober = new SourceProber({ sources: w.sources, fetch: guardedFetch({ allow: ['127.0.0.1'] }), now: () => new Date((t += 5)) });
      calls = [];
      await prober.probeAll();
      await prober.probeAll();
      expect(calls.sort()).toEqual(['/bad/catalog.json', '/bad/catalog.json', '/good/catalog.json', '/good/catalog.json']);
      const { probes, configVersion } = SourceHealthSchema.parse((await w.app.inject({ url: '/api/v1/sources/health', headers: rm })).json());
      expect(configVersion).toBe(set.version);
      expect(probes.map(({ checkedAt: _c, ...p }) => p)).toEqual([
        { source: 'bad', url: `${base}/bad/`, ok: false, status: 503, latencyMs: expect.any(Number), error: 'HTTP 503', consecutiveFailures: 2 },
        { source: 'good', url: `${base}/good`, ok: true, status: 200, latencyMs: expect.any(Number), error: null, consecutiveFailures: 0 },
      ]);

      // A source dropped from the configuration is no longer probed nor shown.
      await put({ type: 'cdn', priority: ['cdn'], sources: { cdn: `${base}/good/` } });
      calls = [];
      await prober.probeAll();
      expect(calls).toEqual(['/good/catalog.json']);
      const after = SourceHealthSchema.parse((await w.app.inject({ url: '/api/v1/sources/health', headers: rm })).json());
      expect(after.probes.map((p) => p.source)).toEqual(['cdn']);
    });
  });
});

describe('source URLs typed by users, as the server probes them', () => {
  let w: TestWharf;
  let local: Server;
  let localUrl: string;
  const hits: string[] = [];
  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    local = createServer((req, res) => {
      hits.push(req.url!);
      res.end('{}');
    });
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    localUrl = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    local.close();
    await w.destroy();
  });
  const set = (config: MarketplaceSourceInput) => w.app.inject({ method: 'PUT', url: '/api/v1/config/marketplace_source', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: config });
  const health = async () => SourceHealthSchema.parse((await w.app.inject({ url: '/api/v1/sources/health', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()).probes;

  it('the server never probes its own host or network: the health report says why, and shows no status or latency', async () => {
    for (const url of [`${localUrl}/`, `http://localhost:${new URL(localUrl).port}/`, 'http://169.254.169.254/latest/']) {
      expect((await set({ type: 'cdn', priority: ['cdn'], sources: { cdn: url } })).statusCode).toBe(200);
      await w.prober.probeAll();
      const [probe] = await health();
      expect(probe).toMatchObject({ source: 'cdn', ok: false, status: null, latencyMs: null, error: expect.stringMatching(/loopback, private or link-local address: not fetched/) });
    }
    expect(hits).toEqual([]);
  });

  it('a query or fragment cannot choose the path the server fetches', async () => {
    for (const url of ['http://mirror.example/secret#', 'http://mirror.example/x?path=']) {
      const res = await set({ type: 'cdn', priority: ['cdn'], sources: { cdn: url } });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error).toContain('without credentials, query or fragment');
    }
  });

  it('healthCheckEnabled: false stops the probes and clears their results', async () => {
    await set({ type: 'cdn', priority: ['cdn'], sources: { cdn: 'http://10.9.9.9/' } });
    await w.prober.probeAll();
    expect(await health()).toHaveLength(1);
    await set({ type: 'cdn', priority: ['cdn'], sources: { cdn: 'http://10.9.9.9/' }, healthCheckEnabled: false });
    expect(await w.prober.probeAll()).toEqual([]);
    expect(await health()).toEqual([]);
  });
});

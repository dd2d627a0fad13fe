import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCatalog, verifyCatalog, type Catalog } from '@wharf/core';
import { CatalogManager, MemoryStore, type CatalogEvents } from '@wharf/sdk';
import { FsStore } from '@wharf/sdk/node';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, type TestWharf } from '../../server/test/helpers.js';
import { listen, publish } from '../../server/test/trust-helpers.js';

/** fetch with a switch: count requests, answer some URLs ourselves, or fail like a dead network. */
function controlledFetch() {
  const ctl = {
    down: false,
    statuses: [] as number[],
    rewrite: null as ((url: string, body: string) => string) | null,
    fetch: async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      if (ctl.down) throw new TypeError('fetch failed: connection refused');
      const res = await fetch(input, init);
      const url = String(input);
      if (url.endsWith('/catalog.json')) ctl.statuses.push(res.status);
      if (ctl.rewrite && res.status === 200 && url.endsWith('/catalog.json')) {
        return new Response(ctl.rewrite(url, await res.text()), { status: 200, headers: res.headers });
      }
      return res;
    },
  };
  return ctl;
}

function collect<K extends keyof CatalogEvents>(m: CatalogManager, type: K): CatalogEvents[K][] {
  const seen: CatalogEvents[K][] = [];
  m.on(type, (e) => seen.push(e));
  return seen;
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('CatalogManager against a real server', () => {
  let w: TestWharf;
  let token: string;
  let base: string;
  let root: string;
  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    token = await addUser(w, 'author');
    base = `${await listen(w)}/`;
    root = (await w.app.inject({ url: '/trust/root.json' })).body;
    expect((await publish(w, token, '@acme/notes', '1.0.0')).statusCode).toBe(201);
  });
  afterAll(() => w.destroy());

  it('initialises from the network, verified against the pinned root, and announces every plugin as added', async () => {
    const m = new CatalogManager({ baseUrl: base, root });
    const updates = collect(m, 'catalog-updated');
    const catalog = await m.initialize();
    expect(m.status).toBe('ready');
    expect(catalog?.plugins.map((p) => p.name)).toEqual(['@acme/notes']);
    expect(m.getPlugin('@acme/notes')?.versions.map((v) => v.version)).toEqual(['1.0.0']);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.diff.added).toEqual(['@acme/notes']);
  });

  it('polls with If-None-Match (304 while unchanged) and reports what a publish changed', async () => {
    const ctl = controlledFetch();
    const m = new CatalogManager({ baseUrl: base, root, fetch: ctl.fetch });
    await m.initialize();
    expect(await m.refresh()).toBe(false);
    expect(ctl.statuses).toEqual([200, 304]);
    const updates = collect(m, 'catalog-updated');
    expect((await publish(w, token, '@acme/notes', '1.1.0')).statusCode).toBe(201);
    expect((await publish(w, token, '@acme/extra', '0.1.0')).statusCode).toBe(201);
    expect(await m.refresh()).toBe(true);
    expect(updates.map((u) => u.diff)).toEqual([{ added: ['@acme/extra'], removed: [], changed: ['@acme/notes'], flagsChanged: [] }]);
    expect(updates[0]!.catalog.version).toBeGreaterThan(updates[0]!.previous!.version);
  });

  it('says loading until the first answer, then polls on its own: 304s while unchanged, a publish arrives without a refresh call', async () => {
    const ctl = controlledFetch();
    const m = new CatalogManager({ baseUrl: base, root, fetch: ctl.fetch });
    const statuses = collect(m, 'status');
    const initializing = m.initialize();
    expect(m.status).toBe('loading');
    await initializing;
    expect(statuses).toEqual([{ status: 'loading' }, { status: 'ready' }]);
    const updates = collect(m, 'catalog-updated');
    m.startPolling(30);
    try {
      await until(() => ctl.statuses.filter((s) => s === 304).length >= 2);
      expect(ctl.statuses).toEqual([200, ...ctl.statuses.slice(1).map(() => 304)]);
      expect(updates).toEqual([]);
      expect((await publish(w, token, '@acme/polled', '1.0.0')).statusCode).toBe(201);
      await until(() => updates.some((u) => u.diff.added.includes('@acme/polled')));
    } finally {
      m.stop();
    }
    const polls = ctl.statuses.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(ctl.statuses).toHaveLength(polls);
  });

  it('reports an unpublished package as removed and a flag changed through the admin API as flagsChanged', async () => {
    expect((await publish(w, token, '@acme/doomed', '1.0.0')).statusCode).toBe(201);
    const m = new CatalogManager({ baseUrl: base, root });
    await m.initialize();
    expect(m.getPlugin('@acme/doomed')).toBeDefined();
    const updates = collect(m, 'catalog-updated');
    const rev = (await w.app.inject({ url: '/@acme%2fdoomed' })).json()._rev as string;
    const gone = await w.app.inject({ method: 'DELETE', url: `/@acme%2fdoomed/-rev/${rev}`, headers: bearer(token) });
    expect(gone.statusCode, gone.body).toBe(200);
    expect(await m.refresh()).toBe(true);
    expect(updates.map((u) => u.diff)).toEqual([{ added: [], removed: ['@acme/doomed'], changed: [], flagsChanged: [] }]);
    expect(m.getPlugin('@acme/doomed')).toBeUndefined();

    const flag = await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/sdk.catalog-diff', headers: bearer(ADMIN_TOKEN), payload: { state: 'ON' } });
    expect(flag.statusCode, flag.body).toBe(200);
    expect(await m.refresh()).toBe(true);
    expect(updates.map((u) => u.diff)[1]).toEqual({ added: [], removed: [], changed: [], flagsChanged: ['sdk.catalog-diff'] });
    expect(m.getHead()!.flags.features.find((f) => f.name === 'sdk.catalog-diff')?.enabled).toBe(true);
  });

  it('keeps the good catalog when what arrives is tampered or older, and says so', async () => {
    const ctl = controlledFetch();
    const m = new CatalogManager({ baseUrl: base, root, fetch: ctl.fetch });
    await m.initialize();
    const good = m.getCatalog()!;
    const old = (await w.app.inject({ url: '/catalog.json' })).body;
    const errors = collect(m, 'error');
    const statuses = collect(m, 'status');
    ctl.rewrite = (_url, body) => body.replace('@acme/notes', '@acme/evil!');
    // Force a full download: a 304 would never show the tampered body.
    expect((await publish(w, token, '@acme/notes', '1.2.0')).statusCode).toBe(201);
    expect(await m.refresh()).toBe(false);
    expect(m.getCatalog()).toBe(good);
    expect(m.status).toBe('degraded');
    expect(errors.at(-1)!.error.message).toMatch(/^signature-threshold/);
    expect(statuses.at(-1)).toMatchObject({ status: 'degraded', cause: 'verification' });

    // Replay of an older, validly signed catalog: a rollback.
    ctl.rewrite = null;
    expect(await m.refresh()).toBe(true);
    ctl.rewrite = () => old;
    expect((await publish(w, token, '@acme/notes', '1.3.0')).statusCode).toBe(201);
    expect(await m.refresh()).toBe(false);
    expect(errors.at(-1)!.error.message).toMatch(/^rollback/);
    expect(m.getPlugin('@acme/notes')!.versions.map((v) => v.version)).toContain('1.2.0');
  });

  it('starts from its cached catalog when the network is down, and refuses a cache edited on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-sdk-cache-'));
    const first = new CatalogManager({ baseUrl: base, root, store: new FsStore(dir) });
    await first.initialize();
    const ctl = controlledFetch();
    ctl.down = true;
    const offline = new CatalogManager({ baseUrl: base, root, store: new FsStore(dir), fetch: ctl.fetch });
    const statuses = collect(offline, 'status');
    const catalog = await offline.initialize();
    expect(offline.status).toBe('degraded');
    expect(statuses.at(-1)).toMatchObject({ status: 'degraded', cause: 'network' });
    expect(catalog?.version).toBe(first.getCatalog()!.version);
    expect(offline.isStale()).toBe(false);

    const file = join(dir, 'catalog', 'catalog.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('1.0.0', '9.9.9'));
    const edited = new CatalogManager({ baseUrl: base, root, store: new FsStore(dir), fetch: ctl.fetch });
    const errors = collect(edited, 'error');
    expect(await edited.initialize()).toBeNull();
    expect(edited.status).toBe('error');
    expect(errors[0]!.error.message).toMatch(/^signature-threshold/);
  });

  it('serves an expired cached catalog only as stale, and a server still serving it is an error, not ready', async () => {
    const store = new MemoryStore();
    const m = new CatalogManager({ baseUrl: base, root, store });
    await m.initialize();
    const later = new Date(Date.parse(m.getCatalog()!.expires) + 60_000);
    const ctl = controlledFetch();
    ctl.down = true;
    const offline = new CatalogManager({ baseUrl: base, root, store, fetch: ctl.fetch, now: () => later });
    await offline.initialize();
    expect(offline.getCatalog()).not.toBeNull();
    expect(offline.isStale()).toBe(true);
    expect(offline.status).toBe('degraded');
  });

  it('validates plugin entries as they are read: a malformed but signed entry is unavailable, the rest works', async () => {
    const { keys, root: rootSigned } = await w.trust.signingKeys('targets');
    const served = await verifyCatalog((await w.app.inject({ url: '/catalog.json' })).body, { root: rootSigned, now: new Date() });
    const forged = { ...served, version: served.version + 100, plugins: [...served.plugins, { name: '@acme/broken', versions: 'not a list' }] };
    const ctl = controlledFetch();
    ctl.rewrite = () => signCatalog(forged as unknown as Catalog, keys);
    const m = new CatalogManager({ baseUrl: base, root, fetch: ctl.fetch });
    const errors = collect(m, 'error');
    const head = await m.initialize();
    expect(m.status).toBe('ready');
    expect(head?.plugins.map((p) => p.name)).toContain('@acme/broken');
    expect(errors).toEqual([]);
    expect(m.getPlugin('@acme/notes')?.versions.length).toBeGreaterThan(0);
    expect(m.getPlugin('@acme/broken')).toBeUndefined();
    expect(errors.map((e) => e.error.message)).toEqual([expect.stringMatching(/^malformed: catalog entry "@acme\/broken": /)]);
    expect(m.getCatalog()!.plugins.map((p) => p.name)).not.toContain('@acme/broken');
    expect(errors).toHaveLength(1);
  });

  it('needs an events URL to subscribe when it reads through a source (mirrors serve no events)', () => {
    const m = new CatalogManager({ root, source: { fetch: (path) => fetch(base + path) } });
    expect(() => m.subscribe()).toThrow(/eventsUrl/);
  });

  it('reads the catalog through a source and the events from the control plane', async () => {
    const paths: string[] = [];
    const m = new CatalogManager({ root, source: { fetch: (path, init) => (paths.push(path), fetch(base + path, init)) }, eventsUrl: `${base}events` });
    await m.initialize();
    const updates = collect(m, 'catalog-updated');
    m.subscribe();
    try {
      // Before or after the stream opens: a change before it is picked up by the refresh on connect.
      expect((await publish(w, token, '@acme/sourced', '1.0.0')).statusCode).toBe(201);
      await until(() => updates.some((u) => u.diff.added.includes('@acme/sourced')));
    } finally {
      m.stop();
    }
    expect(paths).toContain('catalog.json');
    expect(paths).not.toContain('events');
  });

  it('hot-reloads from the server event stream without polling', async () => {
    const m = new CatalogManager({ baseUrl: base, root });
    await m.initialize();
    const updates = collect(m, 'catalog-updated');
    m.subscribe();
    try {
      expect((await publish(w, token, '@acme/live', '1.0.0')).statusCode).toBe(201);
      await until(() => updates.some((u) => u.diff.added.includes('@acme/live')));
    } finally {
      m.stop();
    }
  });

  it('picks up on connecting to the event stream a change made after its last fetch, with no further event', async () => {
    const ctl = controlledFetch();
    const m = new CatalogManager({ baseUrl: base, root, fetch: ctl.fetch });
    await m.initialize();
    expect((await publish(w, token, '@acme/between', '1.0.0')).statusCode).toBe(201);
    await w.catalog.current();
    const updates = collect(m, 'catalog-updated');
    const fetches = ctl.statuses.length;
    m.subscribe();
    try {
      await until(() => updates.some((u) => u.diff.added.includes('@acme/between')));
      expect(ctl.statuses.slice(fetches)).toEqual([200]);
    } finally {
      m.stop();
    }
  });
});

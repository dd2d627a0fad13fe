import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, bearer } from '../../server/test/helpers.js';
import { CatalogManager, HealthReporter, MemoryStore, PluginInstaller, PluginLoader } from '../src/index.js';
import { harness, publishPlugin, type Harness } from './installer-support.js';

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
}

/** fetch that records every request, and can fail those whose path matches with a status or a network error. */
function recordingFetch() {
  const ctl = {
    sent: [] as Sent[],
    failing: new Map<string, number | 'network'>(),
    fetch: (async (input, init) => {
      const url = new URL(String(input));
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
      ctl.sent.push({ method: init?.method ?? 'GET', path: url.pathname, headers, body: init?.body === undefined ? null : String(init.body) });
      const failure = [...ctl.failing].find(([prefix]) => url.pathname.startsWith(prefix))?.[1];
      if (failure === 'network') throw new TypeError('fetch failed');
      if (failure !== undefined) return Response.json({ error: 'scripted' }, { status: failure });
      return fetch(input, init);
    }) as typeof fetch,
    posts: (prefix: string) => ctl.sent.filter((s) => s.method === 'POST' && s.path.startsWith(prefix)),
  };
  return ctl;
}

const today = () => new Date().toISOString().slice(0, 10);
const api = { register: (v: string) => v };

describe('HealthReporter marketplace analytics against a listening server', () => {
  let h: Harness;
  const listing = async (id: string) => (await h.w.app.inject({ url: `/api/v1/plugins/${id}` })).json() as { installs: number };
  const stats = async (id: string) => (await h.w.app.inject({ url: `/api/v1/plugins/${id}/stats` })).json().days as { day: string; installs: number; activations: number; errors: number }[];

  /** A listed, published plugin with two versions, and one that has no listing. */
  async function listedPlugin(name: string, id: string): Promise<void> {
    await publishPlugin(h.w, h.token, name, '1.0.0');
    await publishPlugin(h.w, h.token, name, '1.1.0');
    const created = await h.w.app.inject({ method: 'POST', url: '/api/v1/plugins', headers: bearer(h.token), payload: { id, name, description: 'counted plugin', category: 'utilities', package: name } });
    expect(created.statusCode, created.body).toBe(201);
    const approved = await h.w.app.inject({ method: 'PUT', url: `/api/v1/moderation/plugins/${id}/state`, headers: bearer(ADMIN_TOKEN), payload: { state: 'published' } });
    expect(approved.statusCode, approved.body).toBe(200);
  }

  /** A catalog manager, an installer and a loader on one reporter, all through `fetch`. */
  async function host(fetch: typeof globalThis.fetch, analytics: boolean) {
    // Listing changes reach the catalog on its periodic re-check: ask for it now.
    h.w.catalog.markDirty();
    const store = new MemoryStore();
    const catalog = new CatalogManager({ baseUrl: h.base, root: h.root, store, fetch });
    await catalog.initialize();
    const reporter = new HealthReporter({ url: h.base, fetch, analytics, catalog, backoffMs: 5, attempts: 2 });
    const installer = new PluginInstaller({ catalog, store, installId: 'install-secret-id', reporter });
    return { catalog, reporter, installer, loader: new PluginLoader({ installer }) };
  }

  beforeAll(async () => {
    h = await harness();
    await listedPlugin('@acme/off', 'org.acme.off');
    await listedPlugin('@acme/counted', 'org.acme.counted');
    await listedPlugin('@acme/flaky', 'org.acme.flaky');
    await publishPlugin(h.w, h.token, '@acme/unlisted', '1.0.0');
  });
  afterAll(() => h.destroy());

  it('sends no analytics while off, not even counts recorded then once turned on, and discards unsent ones when turned off', async () => {
    const net = recordingFetch();
    const { catalog, reporter, installer, loader } = await host(net.fetch, false);
    expect(catalog.getPlugin('@acme/off')?.listing).toMatchObject({ id: 'org.acme.off', state: 'published' });
    await installer.install('@acme/off');
    await loader.loadPlugin('@acme/off', api);
    await reporter.flush();
    expect(net.posts('/api/v1/analytics')).toEqual([]);
    expect(net.posts('/api/v1/plugins/')).toEqual([]);
    expect(reporter.pendingAnalytics()).toEqual({ counters: [], installs: [] });
    // Rollout health is what a reporter sends without analytics.
    expect(net.posts('/api/v1/rollouts/reports')).toHaveLength(1);

    reporter.setAnalytics(true);
    await reporter.flush();
    expect(net.posts('/api/v1/analytics')).toEqual([]);

    await loader.loadPlugin('@acme/off', api);
    expect(reporter.pendingAnalytics().counters).toEqual([{ plugin: 'org.acme.off', version: '1.1.0', installs: 0, activations: 1, errors: 0 }]);
    reporter.setAnalytics(false);
    await reporter.flush();
    expect(net.posts('/api/v1/analytics')).toEqual([]);
    expect((await listing('org.acme.off')).installs).toBe(0);
    expect(await stats('org.acme.off')).toEqual([]);

    // No reporter at all: the SDK posts nothing.
    const quiet = recordingFetch();
    const catalog2 = new CatalogManager({ baseUrl: h.base, root: h.root, fetch: quiet.fetch });
    await catalog2.initialize();
    const bare = new PluginInstaller({ catalog: catalog2, store: new MemoryStore(), installId: 'i-2' });
    await bare.install('@acme/off');
    await new PluginLoader({ installer: bare }).loadPlugin('@acme/off', api);
    expect(quiet.sent.filter((s) => s.method !== 'GET')).toEqual([]);
    expect(() => new HealthReporter({ url: h.base, analytics: true })).toThrow(/catalog/);
  });

  it('when on, counts new installs, activations and errors per listing, with nothing about the sender', async () => {
    const net = recordingFetch();
    const { reporter, installer, loader } = await host(net.fetch, true);
    await installer.install('@acme/counted');
    // A version switch is not a new install; an install after an uninstall is.
    await installer.install('@acme/counted', '1.0.0');
    await installer.uninstall('@acme/counted');
    await installer.install('@acme/counted', '1.1.0');
    const loaded = await loader.loadPlugin('@acme/counted', api);
    await loader.loadPlugin('@acme/counted', api);
    loaded.reportError(new Error('user@example.com: secret'));
    // No listing: rollout health only.
    await installer.install('@acme/unlisted');
    await loader.loadPlugin('@acme/unlisted', api);
    await reporter.flush();

    expect((await listing('org.acme.counted')).installs).toBe(2);
    expect(await stats('org.acme.counted')).toEqual([{ day: today(), installs: 2, activations: 2, errors: 1 }]);
    const search = (await h.w.app.inject({ url: '/api/v1/search?sort=downloads' })).json() as { hits: { id: string; installs: number }[] };
    expect(search.hits[0]).toMatchObject({ id: 'org.acme.counted', installs: 2 });

    // Exactly these bodies: plugin, version and counts, no install id, user, host, day or error text.
    expect(net.posts('/api/v1/analytics').map((p) => JSON.parse(p.body!))).toEqual([
      { optIn: true, counters: [{ plugin: 'org.acme.counted', version: '1.1.0', installs: 2, activations: 2, errors: 1 }] },
    ]);
    const installs = net.posts('/api/v1/plugins/');
    expect(installs.map((p) => [p.path, p.body])).toEqual([
      ['/api/v1/plugins/org.acme.counted/install', null],
      ['/api/v1/plugins/org.acme.counted/install', null],
    ]);
    const everything = JSON.stringify(net.sent.filter((s) => s.method === 'POST'));
    for (const secret of ['install-secret-id', 'example.com', 'secret']) expect(everything).not.toContain(secret);
    expect(JSON.stringify([...net.posts('/api/v1/analytics'), ...installs])).not.toContain('unlisted');
    expect(installs.every((p) => Object.keys(p.headers).length === 0)).toBe(true);
  });

  it('keeps the counts of a failed post for the next flush, and sends each install once', async () => {
    const net = recordingFetch();
    const { reporter, installer, loader } = await host(net.fetch, true);
    await installer.install('@acme/flaky');
    await loader.loadPlugin('@acme/flaky', api);
    net.failing.set('/api/v1/analytics', 503);
    net.failing.set('/api/v1/plugins/org.acme.flaky/install', 'network');
    await expect(reporter.flush()).rejects.toThrow(/fetch failed|503/);
    // Both endpoints tried (twice each), and health went through regardless.
    expect(net.posts('/api/v1/analytics')).toHaveLength(2);
    expect(net.posts('/api/v1/plugins/')).toHaveLength(2);
    expect(await stats('org.acme.flaky')).toEqual([]);
    expect((await listing('org.acme.flaky')).installs).toBe(0);
    expect(reporter.pending()).toEqual([]);

    await loader.loadPlugin('@acme/flaky', api);
    expect(reporter.pendingAnalytics()).toEqual({
      counters: [{ plugin: 'org.acme.flaky', version: '1.1.0', installs: 1, activations: 2, errors: 0 }],
      installs: [{ plugin: 'org.acme.flaky', installs: 1 }],
    });
    net.failing.clear();
    await reporter.flush();
    await reporter.flush();
    expect(await stats('org.acme.flaky')).toEqual([{ day: today(), installs: 1, activations: 2, errors: 0 }]);
    expect((await listing('org.acme.flaky')).installs).toBe(1);

    // A listing taken down meanwhile: its install can never be counted, and is not retried forever.
    await loader.loadPlugin('@acme/flaky', api);
    await installer.uninstall('@acme/flaky');
    await installer.install('@acme/flaky');
    const down = await h.w.app.inject({ method: 'PUT', url: '/api/v1/moderation/plugins/org.acme.flaky/state', headers: bearer(ADMIN_TOKEN), payload: { state: 'suspended' } });
    expect(down.statusCode, down.body).toBe(200);
    await reporter.flush();
    expect(reporter.pendingAnalytics()).toEqual({ counters: [], installs: [] });
  });
});

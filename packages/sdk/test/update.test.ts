import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginLoader, UpdateManager, isPluginError, type UpdateInfo } from '../src/index.js';
import { deprecate, harness, publishPlugin, revoke, type Harness } from './installer-support.js';

/** fetch through which tests cut the network or make tarball downloads fail a given number of times. */
function controlledFetch() {
  const tarballAt: number[] = [];
  const urls: string[] = [];
  const ctl = {
    urls,
    offline: false,
    failTarballs: 0,
    tamper: false,
    tarballAt,
    fetch: (async (input, init) => {
      const url = String(input);
      if (ctl.offline) throw new TypeError('fetch failed');
      urls.push(new URL(url).pathname);
      if (url.endsWith('.tgz')) {
        tarballAt.push(performance.now());
        if (ctl.failTarballs > 0) {
          ctl.failTarballs--;
          throw new TypeError('connection reset');
        }
        if (ctl.tamper) {
          const bytes = new Uint8Array(await (await fetch(input, init)).arrayBuffer());
          bytes[0]! ^= 1;
          return new Response(bytes);
        }
      }
      return fetch(input, init);
    }) as typeof fetch,
  };
  return ctl;
}

describe('UpdateManager against a listening server', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.destroy());

  it('finds updates most urgent first, pre-downloads them verified but inactive, applies them without the network', async () => {
    for (const name of ['@u/a', '@u/b', '@u/c', '@u/d']) await publishPlugin(h.w, h.token, name, '1.0.0');
    const ctl = controlledFetch();
    const { installer, catalog } = await h.client({ fetch: ctl.fetch, keep: 2 });
    for (const name of ['@u/a', '@u/b', '@u/c', '@u/d']) await installer.install(name);
    const updates = new UpdateManager({ installer, inUse: (name) => name === '@u/d' });
    expect(await updates.checkForUpdates()).toEqual([]);

    await publishPlugin(h.w, h.token, '@u/a', '1.1.0');
    await deprecate(h.w, h.token, '@u/b', '1.0.0', 'CVE-2026-0001: stored XSS, update to 1.0.1');
    await publishPlugin(h.w, h.token, '@u/b', '1.0.1');
    await revoke(h.w, h.token, '@u/c', '1.0.0');
    await publishPlugin(h.w, h.token, '@u/c', '1.0.1');
    await publishPlugin(h.w, h.token, '@u/d', '1.1.0');
    await catalog.refresh();
    await expect.poll(async () => (await installer.get('@u/c'))!.disabled).not.toBeNull();

    const expected: UpdateInfo[] = [
      { name: '@u/c', current: '1.0.0', available: '1.0.1', reason: 'revoked', ready: false },
      { name: '@u/b', current: '1.0.0', available: '1.0.1', reason: 'security', ready: false },
      { name: '@u/d', current: '1.0.0', available: '1.1.0', reason: 'update', ready: false },
      { name: '@u/a', current: '1.0.0', available: '1.1.0', reason: 'update', ready: false },
    ];
    expect(await updates.checkForUpdates()).toEqual(expected);

    const downloaded: string[] = [];
    const ready: UpdateInfo[] = [];
    installer.on('installed', (e) => downloaded.push(e.name));
    updates.on('update-ready', (e) => ready.push(e));
    ctl.urls.length = 0;
    expect(await updates.downloadUpdates()).toEqual(expected.map((e) => ({ ...e, ready: true })));
    expect(downloaded).toEqual(['@u/c', '@u/b', '@u/d', '@u/a']);
    // One TUF refresh serves the whole round: targets metadata is fetched once, not per plugin.
    expect(ctl.urls.filter((u) => u.endsWith('targets.json'))).toHaveLength(1);
    expect(ctl.urls.filter((u) => u.endsWith('.tgz'))).toHaveLength(4);
    expect(ready.map((r) => r.name)).toEqual(downloaded);
    expect((await installer.get('@u/a'))!).toMatchObject({ active: '1.0.0', versions: [{ version: '1.1.0' }, { version: '1.0.0' }] });
    await updates.downloadUpdates();
    expect(ready).toHaveLength(4);

    ctl.offline = true;
    expect(await updates.applyUpdate('@u/a')).toMatchObject({ current: '1.0.0', available: '1.1.0', ready: true });
    expect(await updates.applyUpdate('@u/c')).toMatchObject({ reason: 'revoked', available: '1.0.1' });
    expect((await installer.get('@u/c'))!).toMatchObject({ active: '1.0.1', disabled: null });
    const loaded = await new PluginLoader({ installer }).loadPlugin('@u/a', { register: (v: string) => v });
    expect(loaded.exports).toBe('1.1.0');
    const err = await updates.applyUpdate('@u/a').catch((e: unknown) => e);
    expect(isPluginError(err, 'no-matching-version')).toBe(true);
    ctl.offline = false;

    // keep = 2: a third version pushes the oldest out.
    await publishPlugin(h.w, h.token, '@u/a', '1.2.0');
    await catalog.refresh();
    await updates.applyUpdate('@u/a');
    expect((await installer.get('@u/a'))!.versions.map((v) => v.version)).toEqual(['1.2.0', '1.1.0']);
    expect(await installer.store.get('plugins/@u+a/1.0.0/package.tgz')).toBeNull();
  });

  it('retries network failures with growing delays, and gives up on tampered bytes at once', async () => {
    await publishPlugin(h.w, h.token, '@u/net', '1.0.0');
    const ctl = controlledFetch();
    const { installer, catalog } = await h.client({ fetch: ctl.fetch });
    await installer.install('@u/net');
    await publishPlugin(h.w, h.token, '@u/net', '1.1.0');
    await catalog.refresh();
    const updates = new UpdateManager({ installer, backoffMs: 40, retries: 3 });
    const failed: { info: UpdateInfo; error: Error }[] = [];
    updates.on('update-failed', (f) => failed.push(f));

    ctl.failTarballs = 2;
    ctl.tarballAt.length = 0;
    expect((await updates.downloadUpdates()).map((u) => u.available)).toEqual(['1.1.0']);
    const at = ctl.tarballAt;
    expect(at).toHaveLength(3);
    // 40 ms ± 25 %, then 80 ms ± 25 %: the second wait is longer than the first can be (a loaded
    // machine only lengthens waits, so only lower bounds are checked).
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(29);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(59);
    expect(failed).toEqual([]);

    await publishPlugin(h.w, h.token, '@u/net', '1.2.0');
    await catalog.refresh();
    ctl.tamper = true;
    at.length = 0;
    expect(await updates.downloadUpdates()).toEqual([]);
    expect(at).toHaveLength(1);
    expect(failed.map((f) => [f.info.available, isPluginError(f.error) && f.error.code])).toEqual([['1.2.0', 'verification-failed']]);
    ctl.tamper = false;

    ctl.failTarballs = 10;
    at.length = 0;
    expect(await updates.downloadUpdates()).toEqual([]);
    expect(at).toHaveLength(4);
    expect(isPluginError(failed[1]!.error, 'network')).toBe(true);
    expect((await installer.get('@u/net'))!.active).toBe('1.0.0');
  });

  it('runs in the background after start(): a catalog update brings update-ready; stop() ends it', async () => {
    await publishPlugin(h.w, h.token, '@u/bg', '1.0.0');
    const { installer, catalog } = await h.client();
    await installer.install('@u/bg');
    const updates = new UpdateManager({ installer });
    const ready: UpdateInfo[] = [];
    updates.on('update-ready', (e) => ready.push(e));
    expect(() => updates.start({ intervalMs: 0 })).toThrow(RangeError);
    updates.start({ intervalMs: 3_600_000 });
    await publishPlugin(h.w, h.token, '@u/bg', '1.1.0');
    await catalog.refresh();
    await expect.poll(() => ready.map((r) => r.available)).toEqual(['1.1.0']);
    updates.stop();
    await publishPlugin(h.w, h.token, '@u/bg', '1.2.0');
    await catalog.refresh();
    await new Promise((r) => setTimeout(r, 200));
    expect(ready).toHaveLength(1);
    expect((await installer.get('@u/bg'))!.active).toBe('1.0.0');

    // On a short period the manager refreshes the catalog itself.
    const polling = new UpdateManager({ installer, intervalMs: 100 });
    const seen: string[] = [];
    polling.on('update-ready', (e) => seen.push(e.available));
    polling.start();
    await expect.poll(() => seen).toEqual(['1.2.0']);
    await publishPlugin(h.w, h.token, '@u/bg', '1.3.0');
    await expect.poll(() => seen).toEqual(['1.2.0', '1.3.0']);
    polling.stop();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, isPluginError, type CatalogManager, type PluginErrorCode } from '../src/index.js';
import { bearer } from '../../server/test/helpers.js';
import { harness, publishPlugin, revoke, startRollout, type Harness } from './installer-support.js';

const code = (p: Promise<unknown>): Promise<PluginErrorCode | string> => p.then(() => 'resolved', (e: unknown) => (isPluginError(e) ? e.code : String(e)));

describe('RegistryClient against a listening server', () => {
  let h: Harness;
  let catalog: CatalogManager;
  let client: RegistryClient;
  beforeAll(async () => {
    h = await harness();
    await publishPlugin(h.w, h.token, '@r/notes', '1.0.0');
    await publishPlugin(h.w, h.token, '@r/notes', '1.1.0', { packageJson: { engines: { cartae: '>=2.0.0' } } });
    await publishPlugin(h.w, h.token, '@r/notes', '1.2.0');
    await publishPlugin(h.w, h.token, '@r/notes', '2.0.0-beta.1', { tag: 'beta' });
    await revoke(h.w, h.token, '@r/notes', '1.2.0', 'crashes on start');
    ({ catalog } = await h.client());
    client = new RegistryClient({ baseUrl: h.base, catalog });
  });
  afterAll(() => h.destroy());

  it('reads and validates the packument', async () => {
    const doc = await client.getManifest('@r/notes');
    expect(doc.name).toBe('@r/notes');
    expect(doc['dist-tags']).toEqual({ latest: '1.2.0', beta: '2.0.0-beta.1' });
    expect(Object.keys(doc.versions).sort()).toEqual(['1.0.0', '1.1.0', '1.2.0', '2.0.0-beta.1']);
    expect(await code(client.getManifest('@r/missing'))).toBe('not-found');
    const lying = new RegistryClient({ baseUrl: h.base, catalog, fetch: async () => Response.json({ name: '@r/notes', versions: [] }) });
    expect(await code(lying.getManifest('@r/notes'))).toBe('bad-response');
    const other = new RegistryClient({ baseUrl: h.base, catalog, fetch: (_url, init) => fetch(`${h.base}/@r%2fnotes`, init) });
    await publishPlugin(h.w, h.token, '@r/other', '1.0.0');
    expect(await code(other.getManifest('@r/other'))).toBe('bad-response');
    const down = new RegistryClient({ baseUrl: 'http://127.0.0.1:9', catalog });
    expect(await code(down.getManifest('@r/notes'))).toBe('network');
  });

  it('lists versions newest first with tags, revocations and host compatibility from the catalog', async () => {
    const versions = await client.getVersions('@r/notes', { hostVersion: '1.5.0' });
    expect(versions.map((v) => [v.version, v.tags, v.revoked?.reason ?? null, v.compatible])).toEqual([
      ['2.0.0-beta.1', ['beta'], null, true],
      ['1.2.0', ['latest'], 'crashes on start', true],
      ['1.1.0', [], null, false],
      ['1.0.0', [], null, true],
    ]);
    expect(versions[2]).toMatchObject({ engines: '>=2.0.0', minHostVersion: '2.0.0' });
    expect(versions[0]!.publishedAt).toMatch(/^\d{4}-/);
  });

  it('resolves through the catalog: channels, ranges, host compatibility, revocations, rollouts', async () => {
    const v = (range: string, opts: Parameters<RegistryClient['resolve']>[2]) => client.resolve('@r/notes', range, opts)?.version ?? null;
    // latest (1.2.0) is revoked: the newest usable version below it.
    expect(v('*', { installId: 'a', hostVersion: '2.0.0' })).toBe('1.1.0');
    expect(v('*', { installId: 'a', hostVersion: '1.5.0' })).toBe('1.0.0');
    expect(v('*', { installId: 'a', channel: 'beta' })).toBe('2.0.0-beta.1');
    expect(v('~1.0.0', { installId: 'a' })).toBe('1.0.0');
    expect(v('^3', { installId: 'a' })).toBeNull();
    expect(() => client.resolve('@r/missing', '*', { installId: 'a' })).toThrow(/not in the catalog/);

    await publishPlugin(h.w, h.token, '@r/staged', '1.0.0');
    await publishPlugin(h.w, h.token, '@r/staged', '1.1.0', { tag: 'next' });
    const tag = await h.w.app.inject({ method: 'PUT', url: '/-/package/@r%2fstaged/dist-tags/stable', headers: { ...bearer(h.token), 'content-type': 'application/json' }, payload: '"1.0.0"' });
    expect(tag.statusCode, tag.body).toBeLessThan(300);
    await startRollout(h.w, '@r/staged', 'stable', '1.1.0', 50);
    await catalog.refresh();
    const got = Array.from({ length: 100 }, (_, i) => client.resolve('@r/staged', '*', { installId: `install-${i}` })!.version);
    expect(new Set(got)).toEqual(new Set(['1.0.0', '1.1.0']));
    // The same install always lands in the same bucket.
    expect(client.resolve('@r/staged', '*', { installId: 'install-7' })!.version).toBe(got[7]);
  });
});

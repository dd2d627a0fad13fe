import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sriOf } from '@wharf/core';
import { packDirectory, tarballFileHashes } from '@wharf/tarball/node';
import { rawTar } from '../../server/test/support/raw-tar.js';
import { ADMIN_TOKEN, bearer } from '../../server/test/helpers.js';
import { CatalogManager, MemoryStore, PluginInstaller, PluginLoader, SourceResolver, UpdateManager, isPluginError, type PluginErrorCode, type RevokedEvent } from '../src/index.js';
import { unpackVerified } from '../src/install/verify.js';
import { FsStore } from '../src/node/index.js';
import { harness, publishPlugin, revoke, type Harness } from './installer-support.js';

const code = (err: unknown): PluginErrorCode | string => (isPluginError(err) ? err.code : String(err));
const refusal = (p: Promise<unknown>) => p.then(() => 'resolved', code);

/** fetch that flips one byte of every tarball it relays. */
const tampering: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (!String(input).endsWith('.tgz')) return res;
  const bytes = new Uint8Array(await res.arrayBuffer());
  bytes[bytes.length >> 1]! ^= 1;
  return new Response(bytes, { status: res.status, headers: res.headers });
};

describe('PluginInstaller against a listening server', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
    await publishPlugin(h.w, h.token, '@acme/hello', '1.0.0');
    await publishPlugin(h.w, h.token, '@acme/hello', '1.1.0');
  });
  afterAll(() => h.destroy());

  it('installs the latest verified version, activates it, and the loader runs it', async () => {
    const { installer } = await h.client();
    const events: string[] = [];
    installer.on('installed', (e) => events.push(`installed ${e.version}`));
    installer.on('activated', (e) => events.push(`activated ${e.version} (was ${e.previous})`));
    expect(await installer.install('@acme/hello')).toEqual({ name: '@acme/hello', version: '1.1.0', previous: null, downloaded: true });
    expect(events).toEqual(['installed 1.1.0', 'activated 1.1.0 (was null)']);
    const [state] = await installer.list();
    expect(state).toMatchObject({ name: '@acme/hello', active: '1.1.0', previous: [], disabled: null });
    const loaded = await new PluginLoader({ installer }).loadPlugin('@acme/hello', { register: (v: string) => `registered ${v}` });
    expect(loaded).toMatchObject({ name: '@acme/hello', version: '1.1.0', exports: 'registered 1.1.0' });

    // A range picks the newest version inside it; installing what is stored costs no download.
    expect(await installer.install('@acme/hello', '~1.0.0')).toMatchObject({ version: '1.0.0', previous: '1.1.0', downloaded: true });
    expect(await installer.install('@acme/hello', '1.1.0')).toMatchObject({ version: '1.1.0', previous: '1.0.0', downloaded: false });
  });

  it('refuses a tampered tarball and keeps the previous version active', async () => {
    await publishPlugin(h.w, h.token, '@acme/hello', '1.2.0');
    const { installer, store } = await h.client({ fetch: tampering });
    // Honest install of 1.1.0 first, through a second client on the same store.
    const honest = await h.client({ store });
    await honest.installer.install('@acme/hello', '1.1.0');
    const err = await installer.install('@acme/hello', '1.2.0').catch((e: unknown) => e);
    expect(code(err)).toBe('verification-failed');
    expect(String(err)).toMatch(/hash-mismatch/);
    expect((await installer.get('@acme/hello'))!.active).toBe('1.1.0');
    expect(await store.get('plugins/@acme+hello/1.2.0/package.tgz')).toBeNull();
    const loaded = await new PluginLoader({ installer }).loadPlugin('@acme/hello', { register: (v: string) => v });
    expect(loaded.exports).toBe('1.1.0');
  });

  it('a tarball corrupted on the server\'s disk (same length) is never installed: the origin answers 500 and the active version keeps running', async () => {
    await publishPlugin(h.w, h.token, '@acme/disk', '1.0.0');
    await publishPlugin(h.w, h.token, '@acme/disk', '1.1.0');
    const { installer, catalog } = await h.client();
    await installer.install('@acme/disk', '1.0.0');
    // Blobs are stored by the hex sha512 of their content: the integrity, decoded.
    const integrity = catalog.getPlugin('@acme/disk')!.versions.find((v) => v.version === '1.1.0')!.integrity;
    const hex = Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex');
    const blob = (await readdir(h.w.dataDir, { recursive: true, withFileTypes: true })).find((d) => d.isFile() && d.name === hex)!;
    const path = join(blob.parentPath, blob.name);
    const bytes = await readFile(path);
    bytes[bytes.length - 30]! ^= 0x20;
    await writeFile(path, bytes);
    expect(await refusal(installer.install('@acme/disk', '1.1.0'))).toBe('network');
    expect((await installer.get('@acme/disk'))!).toMatchObject({ active: '1.0.0', versions: [{ version: '1.0.0' }] });
    expect((await new PluginLoader({ installer }).loadPlugin('@acme/disk', { register: (v: string) => v })).exports).toBe('1.0.0');
  });

  it('leaves the previous version active when the state write fails (crash before the commit point)', async () => {
    const inner = new MemoryStore();
    let failStateWrites = false;
    const store = Object.assign(Object.create(inner) as MemoryStore, {
      set: async (key: string, value: Uint8Array) => {
        if (failStateWrites && key.endsWith('/state.json')) throw new Error('disk full');
        return inner.set(key, value);
      },
    });
    const { installer } = await h.client({ store });
    await installer.install('@acme/hello', '1.0.0');
    failStateWrites = true;
    await expect(installer.install('@acme/hello', '1.1.0')).rejects.toThrow(/disk full/);
    failStateWrites = false;
    expect((await installer.get('@acme/hello'))!).toMatchObject({ active: '1.0.0', versions: [{ version: '1.0.0' }] });
    // The tarball stored before the failed commit is reused (it still matches the signed integrity).
    expect(await installer.install('@acme/hello', '1.1.0')).toMatchObject({ version: '1.1.0', downloaded: false });
  });

  it('rolls back to the previous version, and further back on a second rollback', async () => {
    const { installer } = await h.client();
    await installer.install('@acme/hello', '1.0.0');
    await installer.install('@acme/hello', '1.1.0');
    await installer.install('@acme/hello', '1.2.0');
    expect(await installer.rollback('@acme/hello')).toBe('1.1.0');
    expect(await installer.rollback('@acme/hello')).toBe('1.0.0');
    expect(await refusal(installer.rollback('@acme/hello'))).toBe('no-previous-version');
    await installer.activate('@acme/hello', '1.2.0');
    expect((await installer.get('@acme/hello'))!).toMatchObject({ active: '1.2.0', previous: ['1.0.0'] });
    expect(await refusal(installer.activate('@acme/hello', '0.9.0'))).toBe('not-installed');
  });

  it('runs concurrent operations on one plugin one after another (no lost update of the state record)', async () => {
    const { installer } = await h.client();
    const results = await Promise.all([installer.install('@acme/hello', '1.0.0'), installer.install('@acme/hello', '1.1.0'), installer.install('@acme/hello', '1.2.0')]);
    expect(results.map((r) => [r.version, r.previous])).toEqual([
      ['1.0.0', null],
      ['1.1.0', '1.0.0'],
      ['1.2.0', '1.1.0'],
    ]);
    expect((await installer.get('@acme/hello'))!).toMatchObject({ active: '1.2.0', previous: ['1.1.0', '1.0.0'] });
    expect((await installer.get('@acme/hello'))!.versions.map((v) => v.version)).toEqual(['1.2.0', '1.1.0', '1.0.0']);

    // In a browser the same operations also hold a Web Lock, which other tabs of the host wait on.
    const held: string[] = [];
    vi.stubGlobal('navigator', { locks: { request: async (lock: string, fn: () => Promise<unknown>) => (held.push(lock), fn()) } });
    onTestFinished(() => void vi.unstubAllGlobals());
    await installer.rollback('@acme/hello');
    await installer.uninstall('@acme/hello');
    expect(held).toEqual(['wharf-sdk-plugin:@acme/hello', 'wharf-sdk-plugin:@acme/hello']);
  });

  it('keeps the last N versions and deletes the files of older ones', async () => {
    const { installer, store } = await h.client({ keep: 2 });
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await installer.install('@acme/hello', v);
    const state = (await installer.get('@acme/hello'))!;
    expect(state.versions.map((v) => v.version)).toEqual(['1.2.0', '1.1.0']);
    expect(state.previous).toEqual(['1.1.0']);
    expect((await store.list('plugins/')).sort()).toEqual(['plugins/@acme+hello/1.1.0/package.tgz', 'plugins/@acme+hello/1.2.0/package.tgz', 'plugins/@acme+hello/state.json']);
    // A damaged record: refused with its own code, left out of the list, still removable.
    await store.set('plugins/@acme+hello/state.json', new TextEncoder().encode('{"name":"@acme/other"}'));
    expect(await refusal(installer.get('@acme/hello'))).toBe('corrupt-state');
    const errors: Error[] = [];
    installer.on('error', (e) => errors.push(e.error));
    expect(await installer.list()).toEqual([]);
    expect(errors.map(code)).toEqual(['corrupt-state']);
    await installer.uninstall('@acme/hello');
    expect(await store.list('plugins/')).toEqual([]);
    expect(await refusal(installer.uninstall('@acme/hello'))).toBe('not-installed');
  });

  it('falls back from a host-incompatible latest to the newest version the host runs', async () => {
    await publishPlugin(h.w, h.token, '@acme/compat', '1.0.0', { packageJson: { engines: { cartae: '>=1.0.0' } } });
    await publishPlugin(h.w, h.token, '@acme/compat', '2.0.0', { packageJson: { cartae: { minVersion: '3.0.0' } } });
    const old = await h.client({ hostVersion: '2.5.0' });
    expect(await old.installer.install('@acme/compat')).toMatchObject({ version: '1.0.0' });
    expect(await refusal(old.installer.install('@acme/compat', '2.0.0'))).toBe('incompatible');
    const recent = await h.client({ hostVersion: '3.1.0' });
    expect(await recent.installer.install('@acme/compat')).toMatchObject({ version: '2.0.0' });
    expect(await refusal(recent.installer.install('@acme/missing'))).toBe('not-found');
    expect(await refusal(recent.installer.install('@acme/compat', '^9'))).toBe('no-matching-version');

    // The host went back to 2.5.0 with 3.x's store: 2.0.0 no longer runs; the update goes down to 1.0.0.
    const downgraded = await h.client({ store: recent.store, hostVersion: '2.5.0' });
    expect(await refusal(new PluginLoader({ installer: downgraded.installer }).loadPlugin('@acme/compat', {}))).toBe('incompatible');
    const updates = new UpdateManager({ installer: downgraded.installer });
    expect(await updates.checkForUpdates()).toEqual([{ name: '@acme/compat', current: '2.0.0', available: '1.0.0', reason: 'update', ready: false }]);
    await updates.applyUpdate('@acme/compat');
    expect((await new PluginLoader({ installer: downgraded.installer }).loadPlugin('@acme/compat', { register: (v: string) => v })).exports).toBe('1.0.0');
  });

  it('takes a revoked active version out of service: back to an installed good one, else disabled', async () => {
    await publishPlugin(h.w, h.token, '@acme/rev', '1.0.0');
    await publishPlugin(h.w, h.token, '@acme/rev', '2.0.0');
    const { installer, catalog, store } = await h.client();
    await installer.install('@acme/rev', '1.0.0');
    await installer.install('@acme/rev', '2.0.0');
    const events: RevokedEvent[] = [];
    installer.on('revoked', (e) => events.push(e));
    await revoke(h.w, h.token, '@acme/rev', '2.0.0', 'leaks tokens');
    expect(await catalog.refresh()).toBe(true);
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]).toEqual({ name: '@acme/rev', version: '2.0.0', reason: 'leaks tokens', fallback: '1.0.0' });
    expect((await installer.get('@acme/rev'))!).toMatchObject({ active: '1.0.0', versions: [{ version: '1.0.0' }] });
    expect(await store.get('plugins/@acme+rev/2.0.0/package.tgz')).toBeNull();
    expect(await refusal(installer.install('@acme/rev', '2.0.0'))).toBe('revoked');

    await revoke(h.w, h.token, '@acme/rev', '1.0.0');
    await catalog.refresh();
    await expect.poll(() => events.length).toBe(2);
    expect(events[1]).toMatchObject({ version: '1.0.0', fallback: null });
    expect((await installer.get('@acme/rev'))!).toMatchObject({ active: null, disabled: { version: '1.0.0', reason: 'compromised build' } });
    expect(await refusal(new PluginLoader({ installer }).loadPlugin('@acme/rev', {}))).toBe('disabled');
    expect(await refusal(installer.install('@acme/rev'))).toBe('no-matching-version');
  });

  it('enforces a revocation that arrived while no installer was running, when the plugin is loaded', async () => {
    await publishPlugin(h.w, h.token, '@acme/late', '1.0.0');
    await publishPlugin(h.w, h.token, '@acme/late', '2.0.0');
    const store = new MemoryStore();
    const before = await h.client({ store });
    await before.installer.install('@acme/late', '1.0.0');
    await before.installer.install('@acme/late', '2.0.0');
    before.installer.dispose();
    await revoke(h.w, h.token, '@acme/late', '2.0.0');
    const after = await h.client({ store });
    expect((await after.installer.get('@acme/late'))!.active).toBe('2.0.0');
    const events: RevokedEvent[] = [];
    after.installer.on('revoked', (e) => events.push(e));
    const loaded = await new PluginLoader({ installer: after.installer }).loadPlugin('@acme/late', { register: (v: string) => v });
    expect(loaded).toMatchObject({ version: '1.0.0', exports: '1.0.0' });
    expect(events).toEqual([{ name: '@acme/late', version: '2.0.0', reason: 'compromised build', fallback: '1.0.0' }]);
  });

  it('starts offline from the cached catalog and store on disk: installed plugins load, installs fail as network errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-sdk-store-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const store = new FsStore(dir);
    const online = await h.client({ store });
    await online.installer.install('@acme/hello', '1.1.0');
    const down: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    // A new process: new objects over the same directory.
    const offline = await h.client({ store: new FsStore(dir), fetch: down });
    expect(offline.catalog.status).toBe('degraded');
    const loaded = await new PluginLoader({ installer: offline.installer }).loadPlugin('@acme/hello', { register: (v: string) => `offline ${v}` });
    expect(loaded.exports).toBe('offline 1.1.0');
    expect(await refusal(offline.installer.install('@acme/hello', '1.2.0'))).toBe('network');
  });

  it('refuses to install from an expired catalog', async () => {
    const { installer, catalog } = await h.client();
    const expires = Date.parse(catalog.getCatalog()!.expires);
    const offline = async () => {
      throw new TypeError('offline');
    };
    const late = new CatalogManager({ baseUrl: h.base, root: h.root, store: installer.store, fetch: offline, now: () => new Date(expires + 1000) });
    await late.initialize();
    expect(late.isStale()).toBe(true);
    const stale = new PluginInstaller({ catalog: late, store: installer.store, installId: 'x' });
    expect(await refusal(stale.install('@acme/hello'))).toBe('catalog-stale');
    stale.dispose();
  });
});

describe('PluginInstaller reading through a SourceResolver from a mirror that only relays files', () => {
  let h: Harness;
  let mirror: Server;
  let mirrorUrl: string;
  const relayed: string[] = [];
  let tamper = false;
  beforeAll(async () => {
    h = await harness();
    await publishPlugin(h.w, h.token, '@acme/mirrored', '1.0.0');
    await publishPlugin(h.w, h.token, '@acme/mirrored', '1.1.0');
    // GETs of the origin's files, relayed as they are (or with one byte of a tarball flipped): no API, no events.
    mirror = createServer(async (req, res) => {
      if (req.method !== 'GET') return res.writeHead(405).end();
      relayed.push(req.url!);
      const upstream = await fetch(`${h.base}${req.url}`);
      const bytes = Buffer.from(await upstream.arrayBuffer());
      if (tamper && req.url!.endsWith('.tgz')) bytes[bytes.length >> 1]! ^= 1;
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' }).end(bytes);
    });
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
    mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`;
    const put = await h.w.app.inject({ method: 'PUT', url: '/api/v1/config/marketplace_source', headers: bearer(ADMIN_TOKEN), payload: { type: 'cdn', priority: ['cdn'], sources: { cdn: mirrorUrl } } });
    expect(put.statusCode, put.body).toBe(200);
  });
  afterAll(async () => {
    await new Promise<void>((r) => mirror.close(() => r()));
    await h.destroy();
  });

  it('downloads and verifies a plugin from the mirror, and refuses a tampered tarball the mirror serves', async () => {
    const requested: string[] = [];
    const resolver = new SourceResolver({
      controlPlaneUrl: h.base,
      defaultConfig: { type: 'git', priority: ['git'], sources: { git: `${h.base}/` } },
      installId: 'install-1',
      fetch: (input, init) => (requested.push(String(input)), fetch(input, init)),
    });
    const catalog = new CatalogManager({ source: resolver, root: h.root });
    await catalog.initialize();
    expect(catalog.status).toBe('ready');
    const installer = new PluginInstaller({ catalog, store: new MemoryStore(), installId: 'install-1' });
    try {
      expect(await installer.install('@acme/mirrored', '1.0.0')).toMatchObject({ version: '1.0.0', downloaded: true });
      const loaded = await new PluginLoader({ installer }).loadPlugin('@acme/mirrored', { register: (v: string) => v });
      expect(loaded.exports).toBe('1.0.0');
      // Catalog, TUF metadata and the tarball all came through the mirror; the origin served only the client config.
      expect(relayed).toEqual(expect.arrayContaining(['/catalog.json', expect.stringMatching(/^\/trust\/.*targets\.json$/), expect.stringMatching(/mirrored-1\.0\.0\.tgz$/)]));
      expect(requested.filter((u) => !u.startsWith(mirrorUrl))).toEqual([`${h.base}/api/v1/client-config`]);

      tamper = true;
      const err = await installer.install('@acme/mirrored', '1.1.0').catch((e: unknown) => e);
      expect(code(err)).toBe('verification-failed');
      expect(relayed.some((u) => u.endsWith('mirrored-1.1.0.tgz'))).toBe(true);
      expect((await installer.get('@acme/mirrored'))!.active).toBe('1.0.0');
      expect(await installer.store.get('plugins/@acme+mirrored/1.1.0/package.tgz')).toBeNull();
    } finally {
      installer.dispose();
      tamper = false;
    }
  });
});

describe('per-file verification of an unpacked tarball', () => {
  const tgz = (files: Record<string, string>) => gzipSync(rawTar(Object.entries(files).map(([path, body]) => ({ path: `package/${path}`, body }))));
  const signed = async (files: Record<string, string>) => Object.fromEntries(await Promise.all(Object.entries(files).map(async ([p, b]) => [p, await sriOf(new TextEncoder().encode(b))])));
  const files = { 'package.json': '{"name":"x","version":"1.0.0"}', 'index.js': 'export const a = 1;', 'lib/deep/util.js': 'x' };

  it('accepts exactly the signed files', async () => {
    const out = await unpackVerified(tgz(files), await signed(files));
    expect('files' in out && [...out.files.keys()].sort()).toEqual(['index.js', 'lib/deep/util.js', 'package.json']);
  });

  it('reads what npm-style packing writes (ustar prefix, pax long names, nested dirs) exactly as the server hashes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-sdk-tar-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const deep = `${'d'.repeat(90)}/${'e'.repeat(90)}`;
    const bodies: Record<string, string> = { 'package.json': '{}', [`${deep}/short.js`]: 'a', [`lib/${'f'.repeat(180)}.js`]: 'b'.repeat(70_000), 'ünïcødé.txt': 'c', 'empty.js': '' };
    for (const [path, body] of Object.entries(bodies)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), body);
    }
    const tgz = await packDirectory(dir);
    const out = await unpackVerified(tgz, await tarballFileHashes(tgz));
    expect('files' in out && Object.fromEntries([...out.files].map(([p, b]) => [p, new TextDecoder().decode(b)]))).toEqual(bodies);
  });

  it('refuses a changed, an unlisted or a missing file, and unsafe or odd archives', async () => {
    const hashes = await signed(files);
    expect(await unpackVerified(tgz({ ...files, 'index.js': 'export const a = 2;' }), hashes)).toEqual({ problem: 'index.js differs from its signed sha512' });
    expect(await unpackVerified(tgz({ ...files, 'extra.js': '' }), hashes)).toEqual({ problem: 'extra.js is in the archive but not in the signed file list' });
    const { 'lib/deep/util.js': _, ...fewer } = files;
    expect(await unpackVerified(tgz(fewer), hashes)).toEqual({ problem: 'lib/deep/util.js is signed but missing from the archive' });
    const problem = async (entries: Parameters<typeof rawTar>[0]) => ((await unpackVerified(gzipSync(rawTar(entries)), hashes)) as { problem: string }).problem;
    expect(await problem([{ path: 'package/../evil.js', body: 'x' }])).toMatch(/unsafe path/);
    expect(await problem([{ path: 'package/link', type: '2', linkpath: '/etc/passwd' }])).toMatch(/not a regular file/);
    expect(await problem([{ path: 'package/index.js', body: 'a' }, { path: 'package/index.js', body: 'b' }])).toMatch(/twice/);
    expect(((await unpackVerified(new Uint8Array([1, 2, 3]), hashes)) as { problem: string }).problem).toMatch(/unreadable archive/);
  });
});
